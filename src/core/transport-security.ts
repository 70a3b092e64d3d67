// What a client may send where, and how a failed TLS check is told: the rules every client of a Pando server
// (driver, pilot, CLI, site agent) and of a broker follows. Pure: the clients do the I/O.

/** How a client treats the servers it talks to, from its flags or environment (PANDO_CA, PANDO_INSECURE_HTTP). */
export interface ClientSecurity {
  /** A PEM file of the certificate authorities trusted instead of the system's. */
  caFile?: string;
  /** Tokens may go over plain http:// to hosts other than this machine. */
  insecureHttp?: boolean;
}

const TRUE_WORDS = new Set(["1", "true", "yes", "on"]);

/** The client security an environment asks for: PANDO_CA (a file) and PANDO_INSECURE_HTTP (1, true, yes, on). */
export function clientSecurityFromEnv(env: Record<string, string | undefined>): ClientSecurity {
  const caFile = env.PANDO_CA?.trim();
  return {
    ...(caFile ? { caFile } : {}),
    insecureHttp: TRUE_WORDS.has((env.PANDO_INSECURE_HTTP ?? "").trim().toLowerCase()),
  };
}

/** The variables that hand a client security on to a process a client starts (a pilot, a site's pilots). */
export function clientSecurityEnv(security: ClientSecurity): Record<string, string> {
  return {
    ...(security.caFile ? { PANDO_CA: security.caFile } : {}),
    ...(security.insecureHttp ? { PANDO_INSECURE_HTTP: "1" } : {}),
  };
}

/** The host of an http(s) URL without IPv6 brackets, lower-cased. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
}

/** This machine: localhost, 127.0.0.0/8 and ::1 (also written as an IPv4-mapped address). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return v4 !== null && v4[1] === "127" && v4.slice(1).every((part) => Number(part) <= 255);
}

/**
 * Why a client must not send its token to this server URL, or undefined when it may: the URL must be http:// or
 * https://, and plain http:// only to this machine unless the client was told the network is trusted.
 */
export function serverUrlRefusal(url: string, security: ClientSecurity): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `'${url}' is not a server URL; write https://host:port (or http://127.0.0.1:port for a server on this machine)`;
  }
  if (parsed.protocol === "https:") return undefined;
  if (parsed.protocol !== "http:") {
    return `'${url}' is not a server URL (${parsed.protocol.replace(/:$/, "")}); write https://host:port, or http://host:port`;
  }
  const host = hostOf(parsed);
  if (isLoopbackHost(host) || security.insecureHttp) return undefined;
  return (
    `refusing to send the token over plain HTTP to ${host} (${parsed.origin}): anyone on the network between could read it; ` +
    "use the server's https:// URL (it serves HTTPS with --tls-cert and --tls-key), " +
    "or pass --insecure-http (PANDO_INSECURE_HTTP=1) if the network to it is trusted"
  );
}

/** What each OpenSSL / Node verification code means, in words, for the message of a refused connection. */
const TLS_REASONS: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "its certificate is signed by an authority this client does not trust",
  UNABLE_TO_GET_ISSUER_CERT: "its certificate is signed by an authority this client does not trust",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "its certificate is signed by an authority this client does not trust",
  SELF_SIGNED_CERT_IN_CHAIN: "its certificate chain ends in a self-signed authority this client does not trust",
  DEPTH_ZERO_SELF_SIGNED_CERT: "its certificate is self-signed and not trusted by this client",
  CERT_SIGNATURE_FAILURE: "its certificate's signature does not match the authority that should have signed it",
  CERT_HAS_EXPIRED: "its certificate has expired",
  CERT_NOT_YET_VALID: "its certificate is not valid yet (check the clocks of both machines)",
  CERT_REVOKED: "its certificate was revoked",
  CERT_UNTRUSTED: "its certificate is not trusted for this purpose",
  INVALID_PURPOSE: "its certificate is not meant for a server",
  ERR_TLS_CERT_ALTNAME_INVALID: "its certificate is for another host name (the URL's host is not among its names)",
  ERR_SSL_WRONG_VERSION_NUMBER: "it does not speak TLS there (a plain-HTTP or plain-STOMP port?)",
  ERR_SSL_PACKET_LENGTH_TOO_LONG: "it does not speak TLS there (a plain-HTTP or plain-STOMP port?)",
};

/** What the client can do about a refused certificate. */
function remedy(code: string): string {
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID" || code === "CERT_REVOKED") {
    return "the server's operator must install a valid certificate";
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") return "use the host name the certificate names, or have a certificate made for this one";
  if (code.startsWith("ERR_SSL_")) return "check the URL's scheme and port";
  return "pass the certificate authority that signed it with --ca FILE (or PANDO_CA=FILE)";
}

/** Whether an error code is a failed TLS handshake or certificate check, which no retry will mend. */
export function isTlsFailure(code: string | undefined): boolean {
  return code !== undefined && (Object.hasOwn(TLS_REASONS, code) || /^ERR_SSL_|^ERR_TLS_|CERT/.test(code));
}

/**
 * One line for a connection whose TLS check failed: `what` names the side ("the Pando server", "the broker"),
 * `host` where it was, `code` the OpenSSL/Node code.
 */
export function tlsFailureMessage(what: string, host: string, code: string, detail?: string): string {
  const reason = TLS_REASONS[code] ?? `the TLS handshake failed${detail ? `: ${detail.split("\n")[0]}` : ""}`;
  return `cannot trust ${what} at ${host}: ${reason} (${code}); ${remedy(code)}`;
}

/**
 * What to add when a plain-HTTP connection was closed without an answer: an HTTPS server does exactly that
 * to a request sent in clear, and the bare socket error would not say so.
 */
export function plainHttpHint(url: string, code: string | undefined): string {
  if (!url.startsWith("http://") || (code !== "UND_ERR_SOCKET" && code !== "ECONNRESET")) return "";
  return `; if that server serves HTTPS, use ${url.replace(/^http:/, "https:")}`;
}
