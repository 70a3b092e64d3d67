// Checking a token before the monitor keeps it.
import { useState } from "preact/hooks";
import { errorMessage } from "../../../src/core/errors.js";
import { ApiError, connect } from "../api.js";

/**
 * The token being typed and what is wrong with it. submit() checks it with one request before it is kept:
 * an unknown or revoked token is refused, with the server's message.
 */
export function useSignIn(message: string | undefined, onSignedIn: (token: string) => void) {
  const [token, setToken] = useState("");
  const [problem, setProblem] = useState<string | undefined>(message);
  const [checking, setChecking] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const candidate = token.trim();
    if (!candidate) {
      setProblem("paste a token first");
      return;
    }
    setChecking(true);
    try {
      await connect(candidate, () => undefined).listWorkflows({ query: { limit: 1, fields: "id" } });
      onSignedIn(candidate);
    } catch (err) {
      // 403: a token scoped to one workflow lists nothing, yet may open that workflow's page.
      if (err instanceof ApiError && err.status === 403) onSignedIn(candidate);
      else setProblem(errorMessage(err));
    } finally {
      setChecking(false);
    }
  };
  return { token, setToken, problem, checking, submit };
}
