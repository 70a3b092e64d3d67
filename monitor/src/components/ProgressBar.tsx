import { formatPercent } from "../format.js";

/** Share of jobs in a final state. */
export function ProgressBar({ percent }: { percent: number }) {
  return (
    <div class="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent} data-testid="progress">
      <div class="progress-fill" style={{ width: `${Math.min(100, Math.max(0, percent))}%` }} />
      <span class="progress-label">{formatPercent(percent)}</span>
    </div>
  );
}
