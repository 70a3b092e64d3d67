import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { errorMessage } from "../core/errors.js";

/** PEM files already read, by path: every connection of a process trusts the same authorities. */
const read = new Map<string, string>();

/**
 * The certificate authorities of a PEM file (--ca, PANDO_CA), for TLS connections to a server or a broker.
 * Throws one line naming the file when it cannot be read or holds no certificate.
 */
export function readCaFile(path: string): string {
  const known = read.get(path);
  if (known !== undefined) return known;
  let pem: string;
  try {
    pem = readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`cannot read the CA file ${path} (--ca / PANDO_CA): ${errorMessage(err)}`, { cause: err });
  }
  try {
    new X509Certificate(pem);
  } catch (err) {
    throw new Error(`the CA file ${path} (--ca / PANDO_CA) holds no PEM certificate: ${errorMessage(err)}`, { cause: err });
  }
  read.set(path, pem);
  return pem;
}
