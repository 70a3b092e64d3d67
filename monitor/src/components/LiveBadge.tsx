import type { LiveState } from "../api.js";

const TEXT: Record<LiveState, string> = {
  connecting: "connecting…",
  live: "live",
  reconnecting: "reconnecting…",
  off: "not live",
};

/** Whether the page follows the server's change events right now. */
export function LiveBadge({ state }: { state: LiveState }) {
  return (
    <span class={`live live-${state}`} data-testid="live" title="updates as the server reports changes">
      {TEXT[state]}
    </span>
  );
}
