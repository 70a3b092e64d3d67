/**
 * Horizontal grid lines with their values at the left of a chart's plot area: each to `decimals` places, or
 * as `label` writes it (a log axis, whose ticks need different places).
 */
export function YTicks({
  ticks,
  decimals,
  y,
  left,
  right,
  label = (v) => v.toFixed(decimals),
}: {
  ticks: number[];
  decimals: number;
  y(v: number): number;
  left: number;
  right: number;
  label?: (v: number) => string;
}) {
  return (
    <>
      {ticks.map((v) => (
        <g key={v} class="tick">
          <line x1={left} x2={right} y1={y(v)} y2={y(v)} />
          <text x={left - 6} y={y(v) + 4} text-anchor="end">
            {label(v)}
          </text>
        </g>
      ))}
    </>
  );
}
