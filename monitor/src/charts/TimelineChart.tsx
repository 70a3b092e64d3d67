import type { TimelineView } from "../../../src/api/monitoring.js";
import { formatOffset, linearScale, niceAxis, timeTicks } from "../scale.js";
import { MARGIN, plotRight, WIDTH } from "./geometry.js";
import { YTicks } from "./YTicks.js";

const HEIGHT = 200;

/** A step line through per-bucket values: flat across each bucket. */
function steps(values: readonly number[], x: (i: number) => number, y: (v: number) => number): string {
  return values.map((v, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${y(v).toFixed(1)}H${x(i + 1).toFixed(1)}`).join("");
}

/** Jobs running over a task's life, with the jobs that started and ended in each time step. */
export function TimelineChart({ timeline }: { timeline: TimelineView }) {
  const { buckets, start, end } = timeline;
  if (buckets.length === 0 || start === null || end === null) return <p class="quiet">No job has started yet.</p>;
  const top = Math.max(1, ...buckets.map((b) => Math.max(b.running, b.started, b.ended)));
  const axis = niceAxis(0, top, Math.min(5, top));
  const y = linearScale(axis.domain, [HEIGHT - MARGIN.bottom, MARGIN.top]);
  const toX = linearScale([start, start + buckets.length * timeline.bucketMs], [MARGIN.left, plotRight]);
  const x = (i: number) => toX(start + i * timeline.bucketMs);
  const running = steps(
    buckets.map((b) => b.running),
    x,
    y,
  );
  const base = y(0).toFixed(1);
  return (
    <figure class="chart-box">
      <svg class="chart timeline" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label="jobs running over time" data-testid="timeline">
        <YTicks ticks={axis.ticks} decimals={axis.decimals} y={y} left={MARGIN.left} right={plotRight} />
        {timeTicks(end - start).map((offset) => (
          <text key={offset} class="tick" x={toX(start + offset)} y={HEIGHT - MARGIN.bottom + 16} text-anchor="middle">
            {formatOffset(offset)}
          </text>
        ))}
        <path class="area running" d={`${running}V${base}H${x(0).toFixed(1)}Z`} />
        <path class="line running" d={running} />
        <path
          class="line started"
          d={steps(
            buckets.map((b) => b.started),
            x,
            y,
          )}
        />
        <path
          class="line ended"
          d={steps(
            buckets.map((b) => b.ended),
            x,
            y,
          )}
        />
      </svg>
      <figcaption class="legend">
        <span class="key running">running</span>
        <span class="key started">started per step</span>
        <span class="key ended">ended per step</span>
        <span class="quiet">step {formatOffset(timeline.bucketMs)}</span>
      </figcaption>
    </figure>
  );
}
