import { useState } from "preact/hooks";
import type { ObjectiveSeries } from "../../../src/api/monitoring.js";
import { formatNumber } from "../format.js";
import { objectivePlot, sampleValues } from "../objective.js";
import { linearScale, logAxis, logScale, niceAxis, niceStep } from "../scale.js";
import { MARGIN, plotRight, WIDTH } from "./geometry.js";
import { YTicks } from "./YTicks.js";

const HEIGHT = 240;
/** Points drawn per iteration at most: enough to see the spread, light for tasks of thousands of jobs. */
const POINTS_PER_ITERATION = 100;

/**
 * The HPO view: each job's objective per iteration (task), the best value found so far, and one number per
 * iteration (its best) beneath. The declared direction says which value is best; without one it is guessed,
 * and the chart says so.
 */
export function ObjectiveChart({ series }: { series: ObjectiveSeries }) {
  const [logChosen, setLog] = useState(false);
  const plot = objectivePlot(series);
  if (!plot) return null;
  const log = logChosen && plot.logAllowed;
  const n = plot.iterations.length;
  const axis = log ? logAxis(plot.min, plot.max) : niceAxis(plot.min, plot.max, 5);
  const yRange: [number, number] = [HEIGHT - MARGIN.bottom, MARGIN.top];
  const y = log ? logScale(axis.domain, yRange) : linearScale(axis.domain, yRange);
  const x = linearScale([0.5, n + 0.5], [MARGIN.left, plotRight]);
  const every = Math.max(1, Math.ceil(niceStep(n, 12)));
  const best = plot.best[plot.best.length - 1]!;
  const bestLine = plot.best.map((b, i) => `${i === 0 ? "M" : "L"}${x(b.iteration).toFixed(1)},${y(b.value).toFixed(1)}`).join("");
  const better = plot.direction === "minimize" ? "lower is better" : "higher is better";
  return (
    <section class="panel" data-testid="objective">
      <header class="panel-head">
        <h2>Objective per iteration</h2>
        {plot.logAllowed && (
          <label>
            <input type="checkbox" checked={log} onChange={(e) => setLog(e.currentTarget.checked)} data-testid="objective-log" /> log axis
          </label>
        )}
      </header>
      <p class="quiet" data-testid="objective-summary">
        <strong>{plot.label}</strong>:{" "}
        <span data-testid="objective-direction">{plot.guessed ? `${better} (guessed: the work declares no objective)` : `${better} (declared: ${plot.direction})`}</span> · best{" "}
        <strong data-testid="objective-best">{formatNumber(best.value)}</strong> after {n} iteration{n === 1 ? "" : "s"}
      </p>
      <figure class="chart-box">
        <svg class="chart objective" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${plot.label} per iteration`}>
          <YTicks ticks={axis.ticks} decimals={axis.decimals} y={y} left={MARGIN.left} right={plotRight} label={log ? formatNumber : undefined} />
          {plot.iterations.map((it) => (
            <g key={it.taskId}>
              {(it.iteration - 1) % every === 0 && (
                <text class="tick" x={x(it.iteration)} y={HEIGHT - MARGIN.bottom + 16} text-anchor="middle">
                  {it.iteration}
                </text>
              )}
              {sampleValues(it.values, POINTS_PER_ITERATION).map((v, i) => (
                <circle key={i} class="point" cx={x(it.iteration)} cy={y(v)} r={3}>
                  <title>{`iteration ${it.iteration} (${it.work}${it.seq === null ? "" : ` #${it.seq}`}, task ${it.taskId}): ${v}`}</title>
                </circle>
              ))}
            </g>
          ))}
          <path class="line best" d={bestLine} />
        </svg>
        <figcaption class="legend">
          <span class="key point">{plot.label} of a job</span>
          <span class="key best">best so far</span>
          <span class="quiet">x: iteration (work task, in order){log ? "; y: log scale" : ""}</span>
        </figcaption>
      </figure>
      <div class="table-wrap">
        <table class="grid compact" data-testid="iteration-best">
          <tbody>
            <tr>
              <th>Iteration</th>
              {plot.iterations.map((it) => (
                <td key={it.taskId} class="num">
                  {it.iteration}
                </td>
              ))}
            </tr>
            <tr>
              <th>Best of the iteration</th>
              {plot.iterations.map((it) => (
                <td key={it.taskId} class="num" data-testid="iteration-best-value">
                  {formatNumber(it.best)}
                </td>
              ))}
            </tr>
          </tbody>
        </table>
      </div>
    </section>
  );
}
