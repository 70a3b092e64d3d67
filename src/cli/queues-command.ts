import { existsSync, readFileSync } from "node:fs";
import type { QueueView } from "../core/protocol.js";
import { QUEUE_STATUSES, type QueueStatus } from "../core/brokerage.js";
import { readCredentials } from "../server/credentials.js";
import { serverInfoPath } from "../server/server.js";
import { HttpTransport } from "../sdk/http.js";

export interface ClientFlags {
  server?: string;
  token?: string;
  dataDir: string;
  json?: boolean;
}

/** The server and token a command talks to: flags, then PANDO_SERVER / PANDO_TOKEN, then the data directory's. */
export function transportFor(flags: ClientFlags): HttpTransport {
  const info = serverInfoPath(flags.dataDir);
  const url =
    flags.server ??
    process.env.PANDO_SERVER ??
    (existsSync(info) ? (JSON.parse(readFileSync(info, "utf8")) as { url: string }).url : undefined);
  if (!url) {
    throw new Error(`no server: pass --server URL, set PANDO_SERVER, or start \`pando server\` with --data-dir ${flags.dataDir}`);
  }
  const token = flags.token ?? process.env.PANDO_TOKEN ?? readCredentials(flags.dataDir)?.userToken;
  if (!token) throw new Error(`no token for ${url}: pass --token or set PANDO_TOKEN`);
  return new HttpTransport(url, token);
}

const limit = (w: { min: number; max: number }, unit: (n: number) => string) =>
  w.min === 0 && w.max === 0 ? "any" : `${w.min ? unit(w.min) : "0"}–${w.max ? unit(w.max) : "∞"}`;

function table(queues: readonly QueueView[]): string {
  const rows = [
    ["QUEUE", "BACKEND", "STATUS", "CORES", "MEMORY", "WALLTIME", "PILOTS", "QUEUED", "RUNNING"],
    ...queues.map((q) => [
      q.name,
      q.backend,
      q.status,
      String(q.cores),
      limit(q.memoryMb, (n) => `${n}MiB`),
      limit(q.walltimeMs, (n) => `${Math.round(n / 1000)}s`),
      `${q.pilots}/${q.maxPilots}`,
      String(q.queued),
      String(q.running),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

/** `pando queues`: the queues with their status and load. */
export async function listQueuesCommand(flags: ClientFlags): Promise<void> {
  const http = transportFor(flags);
  try {
    const queues = await http.json<QueueView[]>("GET", "/api/v1/queues");
    process.stdout.write(flags.json ? `${JSON.stringify(queues)}\n` : `${table(queues)}\n`);
  } finally {
    await http.close();
  }
}

/** `pando queues set <name> <status>`: takes a queue online or offline (administrators). */
export async function setQueueCommand(name: string, status: string, flags: ClientFlags): Promise<void> {
  if (!(QUEUE_STATUSES as readonly string[]).includes(status)) {
    throw new Error(`'${status}' is not a queue status; use one of ${QUEUE_STATUSES.join(", ")}`);
  }
  const http = transportFor(flags);
  try {
    const queue = await http.json<QueueView>("PUT", `/api/v1/queues/${encodeURIComponent(name)}`, { status: status as QueueStatus });
    process.stdout.write(flags.json ? `${JSON.stringify(queue)}\n` : `queue ${queue.name} is ${queue.status}\n`);
  } finally {
    await http.close();
  }
}
