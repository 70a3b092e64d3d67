import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { errorMessage } from "../core/errors.js";
import { clientSecurityEnv, serverUrlRefusal } from "../core/transport-security.js";

/** The certificate (with its chain) and private key an HTTPS server presents, as PEM. */
export interface ServerTls {
  cert: string;
  key: string;
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`cannot read the TLS ${what} file ${path}: ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * The server's certificate and key (--tls-cert, --tls-key), checked before the server starts: each file read,
 * the certificate a PEM certificate, the key a PEM private key, and the key the certificate's own. Each failure
 * is one line naming the file and the problem. An expired certificate is said, not refused: clients refuse it.
 */
export function loadServerTls(certFile: string, keyFile: string, warn: (message: string) => void): ServerTls {
  const cert = readPem(certFile, "certificate");
  const key = readPem(keyFile, "key");
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new Error(`the TLS certificate file ${certFile} holds no PEM certificate: ${errorMessage(err)}`, { cause: err });
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new Error(`the TLS key file ${keyFile} holds no PEM private key (or one protected by a passphrase): ${errorMessage(err)}`, {
      cause: err,
    });
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new Error(`the TLS key file ${keyFile} is not the key of the certificate in ${certFile}; give the key the certificate was made for`);
  }
  const now = Date.now();
  if (Date.parse(x509.validTo) < now) warn(`the TLS certificate in ${certFile} expired on ${x509.validTo}: clients will refuse it`);
  else if (Date.parse(x509.validFrom) > now) warn(`the TLS certificate in ${certFile} is valid only from ${x509.validFrom}: clients will refuse it until then`);
  return { cert, key };
}

/**
 * What the pilots this server starts need to reach it at `url`: the CA it was told (--ca) and, when that URL is
 * plain HTTP to another machine (the operator's choice), leave to send their token there.
 */
export function pilotSecurityEnv(caFile: string | undefined, url: string): Record<string, string> {
  return clientSecurityEnv({ caFile, insecureHttp: serverUrlRefusal(url, {}) !== undefined });
}
