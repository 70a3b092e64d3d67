// Whose tokens they are: asked before a token handed over in a link replaces the one the monitor keeps.
import { useEffect, useState } from "preact/hooks";
import { errorMessage } from "../../../src/core/errors.js";
import { ApiError, connect } from "../api.js";

/** Who a token acts for, as the server says (its user's name), or why that cannot be told. */
async function tokenOwner(token: string): Promise<string> {
  try {
    const tokens = await connect(token, () => undefined).listTokens({});
    return tokens[0]?.user ?? "a user without tokens";
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return "nobody: the token is unknown or revoked";
    // Only a user's own token may list tokens: a pilot's, or one scoped to a workflow, is refused.
    if (err instanceof ApiError && err.status === 403) return "not a user's own token (a pilot's, or one scoped to a workflow)";
    return `unknown (${errorMessage(err)})`;
  }
}

/** The owners of two tokens, each undefined until the server answered. */
export function useTokenOwners(kept: string, handed: string): { kept?: string; handed?: string } {
  const [owners, setOwners] = useState<{ kept?: string; handed?: string }>({});
  useEffect(() => {
    let live = true;
    void Promise.all([tokenOwner(kept), tokenOwner(handed)]).then(([k, h]) => {
      if (live) setOwners({ kept: k, handed: h });
    });
    return () => {
      live = false;
    };
  }, [kept, handed]);
  return owners;
}
