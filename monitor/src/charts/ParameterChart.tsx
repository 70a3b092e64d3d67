import { useState } from "preact/hooks";
import type { JobValues, ObjectiveSeries } from "../../../src/api/monitoring.js";
import { formatCount, formatNumber } from "../format.js";
import { objectivePlot } from "../objective.js";
import { parameterChoices, parameterPoints } from "../parameter-view.js";
import { linearScale, niceAxis } from "../scale.js";
import { MARGIN, plotRight, WIDTH } from "./geometry.js";
import { YTicks } from "./YTicks.js";

const HEIGHT = 260;

/**
 * The parameter view: one argument, chosen, against the objective over the workflow's finished jobs, one
 * point per job; the best point (in the objective's direction) stands out.
 */
export function ParameterChart({ series, rows, more }: { series: ObjectiveSeries; rows: readonly JobValues[]; more: boolean }) {
  const choices = parameterChoices(rows);
  const [chosen, setChosen] = useState<string | undefined>(undefined);
  const plot = objectivePlot(series);
  if (!plot || choices.length === 0) return null;
  const parameter = chosen !== undefined && choices.includes(chosen) ? chosen : choices[0]!;
  const view = parameterPoints(rows, parameter, series.field, plot.direction);
  const ys = view.points.map((p) => p.y);
  const xs = view.points.map((p) => p.x);
  const yAxis = niceAxis(ys.length ? Math.min(...ys) : 0, ys.length ? Math.max(...ys) : 1, 5);
  const y = linearScale(yAxis.domain, [HEIGHT - MARGIN.bottom, MARGIN.top]);
  const categorical = view.categories.length > 0;
  const xAxis = categorical ? null : niceAxis(xs.length ? Math.min(...xs) : 0, xs.length ? Math.max(...xs) : 1, 8);
  const x = linearScale(xAxis ? xAxis.domain : [-0.5, view.categories.length - 0.5], [MARGIN.left, plotRight]);
  const xTicks = xAxis ? xAxis.ticks.map((v) => ({ at: v, text: v.toFixed(xAxis.decimals) })) : view.categories.map((c, i) => ({ at: i, text: c }));
  const best = view.points[view.best];
  return (
    <section class="panel" data-testid="parameter-view">
      <header class="panel-head">
        <h2>Parameters against the objective</h2>
        <label>
          x
          <select value={parameter} onChange={(e) => setChosen(e.currentTarget.value)} data-testid="param-picker">
            {choices.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
      </header>
      <p class="quiet" data-testid="parameter-summary">
        {formatCount(view.points.length)} finished job{view.points.length === 1 ? "" : "s"}
        {more ? " (the first ones read)" : ""} · best {plot.label}{" "}
        {best && (
          <strong data-testid="parameter-best">
            {formatNumber(best.y)} at {parameter} = {String(best.raw)}
          </strong>
        )}{" "}
        ({plot.direction === "minimize" ? "lowest" : "highest"})
      </p>
      <figure class="chart-box">
        <svg class="chart scatter" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${plot.label} against ${parameter}`}>
          <YTicks ticks={yAxis.ticks} decimals={yAxis.decimals} y={y} left={MARGIN.left} right={plotRight} />
          {xTicks.map((t) => (
            <text key={t.text} class="tick" x={x(t.at)} y={HEIGHT - MARGIN.bottom + 16} text-anchor="middle">
              {t.text}
            </text>
          ))}
          {view.points.map((p, i) => (
            <circle
              key={p.jobId}
              class={i === view.best ? "point best" : "point"}
              cx={x(p.x)}
              cy={y(p.y)}
              r={i === view.best ? 6 : 3.5}
              data-testid={i === view.best ? "param-best" : "param-point"}
            >
              <title>{`job ${p.jobId} (task ${p.taskId}): ${parameter} = ${String(p.raw)}, ${plot.label} = ${p.y}`}</title>
            </circle>
          ))}
        </svg>
        <figcaption class="legend">
          <span class="key point">a finished job</span>
          <span class="quiet">
            x: {parameter}; y: {plot.label}
          </span>
        </figcaption>
      </figure>
    </section>
  );
}
