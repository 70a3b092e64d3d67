// Result messages on the broker are sealed per task: whoever can read a topic without the task's key sees
// only ciphertext, and a message altered, forged without the key, or replayed onto another task's topic
// fails to open.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY = /^[0-9a-f]{64}$/;

/** What a sealed message is bound to: the task and its channel (authenticated, not secret). */
export interface SealScope {
  taskId: number;
  channel: string;
}

function keyBytes(key: string): Buffer {
  if (!KEY.test(key)) throw new Error("a result key is 64 hex digits (256 bits)");
  return Buffer.from(key, "hex");
}

function aad(scope: SealScope): Buffer {
  return Buffer.from(`pando-results\0${scope.taskId}\0${scope.channel}`);
}

/** AES-256-GCM with a random 96-bit nonce: base64 of nonce, ciphertext and tag. */
export function seal(key: string, scope: SealScope, plaintext: string): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", keyBytes(key), nonce);
  cipher.setAAD(aad(scope));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]).toString("base64");
}

/** The plaintext of a sealed message, or undefined when it is not one sealed with this key for this scope. */
export function open(key: string, scope: SealScope, sealed: string): string | undefined {
  const bytes = Buffer.from(sealed, "base64");
  if (bytes.length < NONCE_BYTES + TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv("aes-256-gcm", keyBytes(key), bytes.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(scope));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString("utf8");
  } catch {
    return undefined;
  }
}
