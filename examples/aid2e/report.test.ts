import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { frontCsv, frontMarkdown, frontSvg, logAxis, writeReport, type DesignPoint, type ReportSummary } from "./report.js";

const point = (resolution: number, cost: number, acceptance: number, layers = 4): DesignPoint => ({
  design: { layers, innerRadius: 0.05, outerRadius: 0.5, halfLength: 1, thickness: 0.01 },
  resolution,
  cost,
  acceptance,
});

const FRONT = [point(0.02, 1, 0.5), point(0.01, 5, 0.9), point(0.005, 20, 0.99)];
const DOMINATED = [point(0.03, 4, 0.4), point(Infinity, 2, 0)];
const SUMMARY: ReportSummary = { iterations: 3, evaluations: 5, stopReason: "converged", hypervolume: 0.5, elapsedSeconds: 1.5 };

describe("tables", () => {
  it("writes one CSV line per front design under a header", () => {
    const lines = frontCsv(FRONT).trimEnd().split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe("layers,inner_radius_m,outer_radius_m,half_length_m,thickness_percent_x0,resolution_percent,cost,acceptance_percent");
    expect(lines[2]).toBe("4,0.0500,0.5000,1.0000,1.000,1.0000,5.000,90.00");
  });

  it("writes a Markdown table with a summary", () => {
    const md = frontMarkdown(FRONT, SUMMARY);
    expect(md).toContain("3 non-dominated designs out of 5 evaluations in 3 iterations (1.5 s); stopped: converged");
    expect(md.split("\n").filter((l) => l.startsWith("| 4 |"))).toHaveLength(3);
  });
});

describe("the plot", () => {
  it("draws every plottable design, the front filled and the rest as rings", () => {
    const svg = frontSvg(FRONT, DOMINATED);
    expect(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    const designs = svg.match(/<circle [^>]*><title>/g) ?? [];
    // The design with no resolution cannot be placed.
    expect(designs).toHaveLength(4);
    expect(designs.filter((c) => c.includes('fill="none"'))).toHaveLength(1);
    expect(svg).toContain("3 on the Pareto front, 2 dominated");
    expect(svg).toContain("σ(pT)/pT (%)");
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it("escapes text", () => {
    expect(frontSvg([point(0.01, 1, 1)], [])).toContain("acceptance ≥ 95 %");
    expect(frontSvg([point(0.01, 1, 1)], [])).not.toMatch(/<title>[^<]*&(?!amp;|lt;|gt;|quot;)/);
  });

  it("puts log ticks at 1, 2 and 5 times powers of ten, and always some", () => {
    expect(logAxis([0.9, 95]).ticks).toEqual([1, 2, 5, 10, 20, 50, 100]);
    expect(logAxis([0.3, 4.8]).ticks).toEqual([0.5, 1, 2, 5]);
    expect(logAxis([7]).ticks.length).toBeGreaterThan(0);
    expect(logAxis([]).ticks.length).toBeGreaterThan(0);
  });
});

describe("writeReport", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("creates the directory and writes the three files", () => {
    const base = mkdtempSync(join(tmpdir(), "aid2e-report-"));
    dirs.push(base);
    const files = writeReport(join(base, "nested", "out"), FRONT, DOMINATED, SUMMARY);
    expect(files.svg).toBe(join(base, "nested", "out", "front.svg"));
    expect(readFileSync(files.csv, "utf8").trimEnd().split("\n")).toHaveLength(FRONT.length + 1);
    expect(readFileSync(files.svg, "utf8")).toContain("</svg>");
    expect(readFileSync(files.markdown, "utf8")).toContain("# AID2E toy tracker: Pareto front");
  });
});
