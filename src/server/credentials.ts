import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Store } from "../store/store.js";

/** Tokens the server creates for its own machine's user and pilots, kept in `<dataDir>/credentials.json`. */
export interface Credentials {
  user: string;
  userToken: string;
  pilotToken: string;
}

export function credentialsPath(dataDir: string): string {
  return join(dataDir, "credentials.json");
}

export function readCredentials(dataDir: string): Credentials | undefined {
  const path = credentialsPath(dataDir);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, "utf8")) as Credentials;
}

/**
 * Makes sure the local administrator and a pilot identity exist and that the credentials file holds valid
 * tokens for them (reused across restarts, recreated if revoked or missing). The file is readable by its
 * owner only.
 */
export async function ensureLocalCredentials(store: Store, dataDir: string, user: string): Promise<Credentials> {
  const existing = readCredentials(dataDir);
  if (existing) {
    const u = await store.auth.principalForToken(existing.userToken);
    const p = await store.auth.principalForToken(existing.pilotToken);
    if (u?.kind === "user" && p?.kind === "pilot") return existing;
  }
  const userId = await store.auth.ensureUser(user, "admin");
  const pilotsId = await store.auth.ensureUser("pilots", "user");
  const creds: Credentials = {
    user,
    userToken: await store.auth.createToken(userId, "user", "local"),
    pilotToken: await store.auth.createToken(pilotsId, "pilot", "local pilots"),
  };
  writeFileSync(credentialsPath(dataDir), `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  return creds;
}
