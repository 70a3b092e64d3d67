// The URL a server tells pilots, drivers, site agents and the monitor: never an address they cannot reach.
import { serverUrlRefusal } from "./transport-security.js";

export interface ListenAddress {
  /** The address the server listens on (--host). */
  host: string;
  port: number;
  /** The server serves HTTPS. */
  tls: boolean;
  /** The URL given with --public-url (PANDO_PUBLIC_URL), if any. */
  publicUrl?: string;
}

/** Addresses that mean "every interface": a client elsewhere cannot use them to reach the server. */
function isWildcard(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  return h === "0.0.0.0" || h === "::" || h === "0:0:0:0:0:0:0:0" || h === "";
}

/** Why a public URL cannot be advertised, or undefined. */
export function publicUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `the public URL '${url}' is not a URL; write https://host.example.org:8720`;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    return `the public URL '${url}' must start with https:// (or http://)`;
  }
  if (parsed.pathname !== "/" || parsed.search !== "" || parsed.hash !== "" || parsed.username !== "") {
    return `the public URL '${url}' must be only scheme, host and port (https://host.example.org:8720), without a path or credentials`;
  }
  if (isWildcard(parsed.hostname)) return `the public URL '${url}' names every interface, not an address clients can reach`;
  return undefined;
}

/**
 * The URL the server advertises: the public URL when given, else the listening address with the scheme it
 * serves. Throws, saying what to pass, when listening on every interface without a public URL.
 */
export function advertisedUrl(address: ListenAddress): string {
  if (address.publicUrl !== undefined) {
    const problem = publicUrlProblem(address.publicUrl);
    if (problem) throw new Error(problem);
    return new URL(address.publicUrl).origin;
  }
  if (isWildcard(address.host)) {
    throw new Error(
      `listening on ${address.host || "every interface"} needs --public-url (PANDO_PUBLIC_URL): ${address.host} is no address pilots, ` +
        `drivers or the monitor can reach; pass the URL they should use, e.g. --public-url https://server.example.org:${address.port || 8720}`,
    );
  }
  const host = address.host.includes(":") ? `[${address.host}]` : address.host;
  return `${address.tls ? "https" : "http"}://${host}:${address.port}`;
}

/** What a server says when it advertises plain HTTP to other machines (the operator's choice), or undefined. */
export function plainHttpWarning(url: string): string | undefined {
  if (serverUrlRefusal(url, {}) === undefined) return undefined;
  return (
    `clients are told ${url}: plain HTTP to other machines, so tokens and results cross the network in clear, and ` +
    "clients refuse it unless given --insecure-http (PANDO_INSECURE_HTTP=1); serve HTTPS with --tls-cert and --tls-key"
  );
}
