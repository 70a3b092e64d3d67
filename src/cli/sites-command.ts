import type { SiteView } from "../api/sites.js";
import type { ClientFlags } from "./client-options.js";
import { formatTime, table } from "./format.js";
import { withServer } from "./server-call.js";

/**
 * The sites, one a row: STATE `online`, or `silent` when neither the agent nor a pilot was heard from within
 * the server's site silence (brokerage then passes the site's queues by); AGENT HEARD the agent's last
 * heartbeat; LAST HEARD the latest of it and its pilots'; WORKERS the pilots its agent started that have not
 * ended; PILOTS those registered now.
 */
export function sitesText(sites: readonly SiteView[]): string {
  if (sites.length === 0) return "no sites (a site appears when its agent, `pando site`, first registers)";
  return table(
    ["SITE", "STATE", "AGENT HEARD", "LAST HEARD", "WORKERS", "PILOTS", "QUEUES"],
    sites.map((s) => [s.name, s.state, formatTime(s.heartbeatAt), formatTime(s.lastHeardAt), String(s.workers), String(s.pilots), s.queues.join(", ")]),
  );
}

/** `pando sites`: the sites whose agents registered, with their state. */
export async function listSitesCommand(flags: ClientFlags): Promise<void> {
  const sites = await withServer(flags, (api) => api.listSites());
  process.stdout.write(flags.json ? `${JSON.stringify(sites)}\n` : `${sitesText(sites)}\n`);
}
