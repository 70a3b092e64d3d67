import { useSignIn } from "../data/use-sign-in.js";

/**
 * Asks for a token. It is checked with one request before it is kept: an unknown or revoked token is
 * refused here, with the server's message.
 */
export function SignIn({ message, onSignedIn }: { message: string | undefined; onSignedIn(token: string): void }) {
  const { token, setToken, problem, checking, submit } = useSignIn(message, onSignedIn);
  return (
    <main class="sign-in">
      <form class="sign-in-box" onSubmit={submit} data-testid="sign-in">
        <h1>Pando monitor</h1>
        <p>Sign in with a Pando token.</p>
        <label for="token">Token</label>
        <input
          id="token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
          placeholder="pando_…"
          data-testid="token-input"
        />
        <button type="submit" class="primary" disabled={checking} data-testid="sign-in-button">
          {checking ? "Checking…" : "Sign in"}
        </button>
        {problem && (
          <p class="problem" role="alert" data-testid="sign-in-problem">
            {problem}
          </p>
        )}
        <div class="hint">
          <p>Where to find a token:</p>
          <ul>
            <li data-testid="hint-monitor">
              <code>pando monitor</code> prints a link to this page that signs you in (on the server's machine it needs
              nothing else; elsewhere add <code>--server</code> and <code>--token</code>);
            </li>
            <li data-testid="hint-token-create">
              <code>pando token create &lt;name&gt;</code> makes a new token of yours and prints it; an administrator makes one
              for you with <code>pando token create &lt;name&gt; --user &lt;you&gt;</code>;
            </li>
            <li>
              the server's machine keeps its administrator's token as <code>userToken</code> in{" "}
              <code>&lt;data-dir&gt;/credentials.json</code>.
            </li>
          </ul>
          <p>The token stays in this browser until you sign out.</p>
        </div>
      </form>
    </main>
  );
}
