// The token the monitor sends: pasted on the sign-in view, or handed over once in the URL's fragment
// (`pando monitor` prints http://host:port/#token=<token>), then kept in the browser's localStorage.

const STORAGE_KEY = "pando.monitor.token";

/** The token of a `#token=<token>` fragment, if the fragment is one. */
export function tokenInFragment(hash: string): string | undefined {
  const match = /^#token=([^&#]+)$/.exec(hash);
  if (!match) return undefined;
  let token: string;
  try {
    token = decodeURIComponent(match[1]!).trim();
  } catch {
    return undefined; // a malformed %-escape: not a token anyone printed
  }
  return token === "" ? undefined : token;
}

export function storedToken(storage: Storage): string | null {
  return storage.getItem(STORAGE_KEY);
}

export function storeToken(storage: Storage, token: string): void {
  storage.setItem(STORAGE_KEY, token);
}

export function forgetToken(storage: Storage): void {
  storage.removeItem(STORAGE_KEY);
}
