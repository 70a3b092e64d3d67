// The optimisation's output for people: the Pareto front as an SVG scatter plot (resolution against cost, acceptance
// as colour, dominated designs in grey), and as a table in CSV and Markdown.

import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { TrackerDesign } from "./tracker.js";

/** One evaluated design and its objectives. */
export interface DesignPoint {
  design: TrackerDesign;
  /** σ(pT)/pT as a fraction. */
  resolution: number;
  cost: number;
  acceptance: number;
}

export interface ReportSummary {
  iterations: number;
  evaluations: number;
  stopReason: string;
  hypervolume: number;
  elapsedSeconds: number;
}

export interface ReportFiles {
  svg: string;
  csv: string;
  markdown: string;
}

const COLUMNS: Array<{ title: string; csv: string; value: (p: DesignPoint) => string }> = [
  { title: "layers", csv: "layers", value: (p) => String(p.design.layers) },
  { title: "inner r (m)", csv: "inner_radius_m", value: (p) => p.design.innerRadius.toFixed(4) },
  { title: "outer r (m)", csv: "outer_radius_m", value: (p) => p.design.outerRadius.toFixed(4) },
  { title: "half-length (m)", csv: "half_length_m", value: (p) => p.design.halfLength.toFixed(4) },
  { title: "x/X0 per layer (%)", csv: "thickness_percent_x0", value: (p) => (100 * p.design.thickness).toFixed(3) },
  { title: "σ(pT)/pT (%)", csv: "resolution_percent", value: (p) => (100 * p.resolution).toFixed(4) },
  { title: "cost", csv: "cost", value: (p) => p.cost.toFixed(3) },
  { title: "acceptance (%)", csv: "acceptance_percent", value: (p) => (100 * p.acceptance).toFixed(2) },
];

/** The front as CSV: a header line, then one line per design. */
export function frontCsv(front: readonly DesignPoint[]): string {
  const lines = [COLUMNS.map((c) => c.csv).join(","), ...front.map((p) => COLUMNS.map((c) => c.value(p)).join(","))];
  return `${lines.join("\n")}\n`;
}

/** The front as a Markdown document: how the run went, then the table. */
export function frontMarkdown(front: readonly DesignPoint[], summary: ReportSummary): string {
  return [
    "# AID2E toy tracker: Pareto front",
    "",
    `${front.length} non-dominated designs out of ${summary.evaluations} evaluations in ${summary.iterations} iterations ` +
      `(${summary.elapsedSeconds.toFixed(1)} s); stopped: ${summary.stopReason}; hypervolume ${summary.hypervolume.toFixed(5)}.`,
    "",
    `| ${COLUMNS.map((c) => c.title).join(" | ")} |`,
    `| ${COLUMNS.map(() => "---:").join(" | ")} |`,
    ...front.map((p) => `| ${COLUMNS.map((c) => c.value(p)).join(" | ")} |`),
    "",
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------------------------------
// The plot

const WIDTH = 780;
const HEIGHT = 500;
const PLOT = { left: 80, right: 560, top: 50, bottom: 430 };

/** Acceptance bands of the front's colours, best first. */
const ACCEPTANCE_BANDS = [
  { atLeast: 0.95, colour: "#08306b", label: "acceptance ≥ 95 %" },
  { atLeast: 0.8, colour: "#2171b5", label: "80–95 %" },
  { atLeast: 0.5, colour: "#6baed6", label: "50–80 %" },
  { atLeast: 0, colour: "#c6dbef", label: "< 50 %" },
];

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A logarithmic axis over the values (padded a little), with ticks at 1, 2 and 5 times powers of ten. */
export function logAxis(values: readonly number[]): { low: number; high: number; ticks: number[] } {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  let low = positive.length > 0 ? Math.min(...positive) / 1.2 : 0.1;
  let high = positive.length > 0 ? Math.max(...positive) * 1.2 : 10;
  // At least a factor of three, so that the axis always shows ticks.
  if (high / low < 3) {
    const middle = Math.sqrt(low * high);
    low = middle / Math.sqrt(3);
    high = middle * Math.sqrt(3);
  }
  const ticks: number[] = [];
  for (let decade = Math.floor(Math.log10(low)); decade <= Math.ceil(Math.log10(high)); decade++) {
    for (const mantissa of [1, 2, 5]) {
      const tick = Number((mantissa * 10 ** decade).toPrecision(1));
      if (tick >= low && tick <= high) ticks.push(tick);
    }
  }
  return { low, high, ticks };
}

function designSummary(p: DesignPoint): string {
  const d = p.design;
  return (
    `${d.layers} layers, r ${d.innerRadius.toFixed(3)}–${d.outerRadius.toFixed(3)} m, half-length ${d.halfLength.toFixed(3)} m, ` +
    `${(100 * d.thickness).toFixed(2)} % X0: σ(pT)/pT ${(100 * p.resolution).toFixed(3)} %, cost ${p.cost.toFixed(2)}, ` +
    `acceptance ${(100 * p.acceptance).toFixed(1)} %`
  );
}

/**
 * Resolution against cost, both on logarithmic axes: the front's designs filled and coloured by acceptance, every
 * other evaluated design as a grey ring. With three objectives a front design may look dominated in this
 * projection: what it gives up in resolution or cost it gains in acceptance.
 */
export function frontSvg(front: readonly DesignPoint[], dominated: readonly DesignPoint[]): string {
  // A design that reconstructed (almost) nothing has no resolution to plot.
  const plottable = (p: DesignPoint) => Number.isFinite(p.resolution) && Number.isFinite(p.cost);
  const plotted = [...front, ...dominated].filter(plottable);
  const x = logAxis(plotted.map((p) => p.cost));
  const y = logAxis(plotted.map((p) => 100 * p.resolution));
  const toX = (v: number) => PLOT.left + ((Math.log(v) - Math.log(x.low)) / (Math.log(x.high) - Math.log(x.low))) * (PLOT.right - PLOT.left);
  const toY = (v: number) => PLOT.bottom - ((Math.log(v) - Math.log(y.low)) / (Math.log(y.high) - Math.log(y.low))) * (PLOT.bottom - PLOT.top);
  const f = (v: number) => v.toFixed(1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${(PLOT.left + PLOT.right) / 2}" y="28" text-anchor="middle" font-size="15">` +
      `Toy tracker designs: ${front.length} on the Pareto front, ${dominated.length} dominated</text>`,
  ];
  for (const tick of x.ticks) {
    const px = f(toX(tick));
    out.push(`<line x1="${px}" y1="${PLOT.top}" x2="${px}" y2="${PLOT.bottom}" stroke="#e5e5e5"/>`);
    out.push(`<line x1="${px}" y1="${PLOT.bottom}" x2="${px}" y2="${PLOT.bottom + 5}" stroke="black"/>`);
    out.push(`<text x="${px}" y="${PLOT.bottom + 19}" text-anchor="middle">${tick}</text>`);
  }
  for (const tick of y.ticks) {
    const py = f(toY(tick));
    out.push(`<line x1="${PLOT.left}" y1="${py}" x2="${PLOT.right}" y2="${py}" stroke="#e5e5e5"/>`);
    out.push(`<line x1="${PLOT.left - 5}" y1="${py}" x2="${PLOT.left}" y2="${py}" stroke="black"/>`);
    out.push(`<text x="${PLOT.left - 9}" y="${py}" text-anchor="end" dominant-baseline="middle">${tick}</text>`);
  }
  out.push(
    `<rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.right - PLOT.left}" height="${PLOT.bottom - PLOT.top}" fill="none" stroke="black"/>`,
    `<text x="${(PLOT.left + PLOT.right) / 2}" y="${PLOT.bottom + 42}" text-anchor="middle">cost (units: m² of a 1 % X0 layer)</text>`,
    `<text transform="translate(${PLOT.left - 52} ${(PLOT.top + PLOT.bottom) / 2}) rotate(-90)" text-anchor="middle">σ(pT)/pT (%)</text>`,
  );
  const point = (p: DesignPoint, attributes: string) =>
    `<circle cx="${f(toX(p.cost))}" cy="${f(toY(100 * p.resolution))}" ${attributes}><title>${escapeXml(designSummary(p))}</title></circle>`;
  for (const p of dominated.filter(plottable)) out.push(point(p, `r="3" fill="none" stroke="#9e9e9e"`));
  for (const p of front.filter(plottable)) {
    const band = ACCEPTANCE_BANDS.find((b) => p.acceptance >= b.atLeast) ?? ACCEPTANCE_BANDS.at(-1)!;
    out.push(point(p, `r="4.5" fill="${band.colour}" stroke="black" stroke-width="0.6"`));
  }
  const legendX = PLOT.right + 25;
  out.push(`<text x="${legendX}" y="${PLOT.top + 4}" font-weight="bold">Pareto front</text>`);
  ACCEPTANCE_BANDS.forEach((band, i) => {
    const ly = PLOT.top + 24 + i * 20;
    out.push(`<circle cx="${legendX + 6}" cy="${ly}" r="4.5" fill="${band.colour}" stroke="black" stroke-width="0.6"/>`);
    out.push(`<text x="${legendX + 18}" y="${ly}" dominant-baseline="middle">${escapeXml(band.label)}</text>`);
  });
  const dy = PLOT.top + 24 + ACCEPTANCE_BANDS.length * 20 + 10;
  out.push(`<circle cx="${legendX + 6}" cy="${dy}" r="3" fill="none" stroke="#9e9e9e"/>`);
  out.push(`<text x="${legendX + 18}" y="${dy}" dominant-baseline="middle">dominated</text>`);
  out.push(
    `<text x="${legendX}" y="${dy + 34}" font-size="11" fill="#555">` +
      `<tspan x="${legendX}">Front designs are not</tspan>` +
      `<tspan x="${legendX}" dy="14">dominated in resolution,</tspan>` +
      `<tspan x="${legendX}" dy="14">cost and acceptance</tspan>` +
      `<tspan x="${legendX}" dy="14">taken together.</tspan></text>`,
  );
  out.push("</svg>", "");
  return out.join("\n");
}

/** Writes front.svg, front.csv and front.md into the directory (created if needed); returns their absolute paths. */
export function writeReport(
  directory: string,
  front: readonly DesignPoint[],
  dominated: readonly DesignPoint[],
  summary: ReportSummary,
): ReportFiles {
  const dir = resolve(directory);
  mkdirSync(dir, { recursive: true });
  const files: ReportFiles = { svg: join(dir, "front.svg"), csv: join(dir, "front.csv"), markdown: join(dir, "front.md") };
  writeFileSync(files.svg, frontSvg(front, dominated));
  writeFileSync(files.csv, frontCsv(front));
  writeFileSync(files.markdown, frontMarkdown(front, summary));
  return files;
}
