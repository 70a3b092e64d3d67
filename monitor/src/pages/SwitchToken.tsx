import { useTokenOwners } from "../data/use-token-owners.js";

interface Props {
  /** The token the monitor keeps. */
  kept: string;
  /** The token a `#token=` link handed over. */
  handed: string;
  onSwitch(): void;
  onKeep(): void;
}

/**
 * A link handed over another token than the one kept: the monitor asks, showing whose each is, before it
 * replaces the kept one (a link from someone else would otherwise sign the user in as them, unnoticed).
 */
export function SwitchToken({ kept, handed, onSwitch, onKeep }: Props) {
  const owners = useTokenOwners(kept, handed);
  const known = owners.kept !== undefined && owners.handed !== undefined;
  return (
    <main class="sign-in">
      <section class="sign-in-box" data-testid="switch-token">
        <h1>Pando monitor</h1>
        <p>The link you opened signs in with another token than the one this browser keeps.</p>
        {known ? (
          <ul>
            <li>
              signed in now as <strong data-testid="kept-owner">{owners.kept}</strong>;
            </li>
            <li>
              the link's token is <strong data-testid="handed-owner">{owners.handed}</strong>'s.
            </li>
          </ul>
        ) : (
          <p>Asking the server whose tokens they are…</p>
        )}
        <button type="button" class="primary" onClick={onKeep} data-testid="keep-token">
          Stay signed in as {owners.kept ?? "now"}
        </button>{" "}
        <button type="button" onClick={onSwitch} disabled={!known} data-testid="switch-to-token">
          Switch to {owners.handed ?? "the link's token"}
        </button>
      </section>
    </main>
  );
}
