// The SHA-256 digest every content address and secret hash uses (bundles, tokens, call hashes).
import { createHash } from "node:crypto";

/** Lower-case hex SHA-256 of `data`; a sequence of parts hashes as their concatenation. */
export function sha256Hex(data: string | Uint8Array | Iterable<string | Uint8Array>): string {
  const hash = createHash("sha256");
  if (typeof data === "string" || data instanceof Uint8Array) hash.update(data);
  else for (const part of data) hash.update(part);
  return hash.digest("hex");
}
