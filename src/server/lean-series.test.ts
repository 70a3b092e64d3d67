import { Counter, Histogram, Registry, type Metric } from "prom-client";
import { describe, expect, it } from "vitest";
import { LeanHistogram, LeanValue, ScrapedGauge } from "./lean-series.js";

const sorted = (text: string) => text.split("\n").filter(Boolean).sort();

describe("lean series", () => {
  it("write the same exposition as prom-client's own histogram and counter for the same events", async () => {
    const bounds = [0.001, 0.01, 0.1, 1];
    const values = [0.0005, 0.001, 0.002, 0.05, 0.05, 0.5, 3, 0.01];
    const lean = new Registry();
    const histogram = new LeanHistogram("h_seconds", "what it measures", bounds);
    const counter = new LeanValue("c_total", "what it counts", "counter");
    lean.registerMetric(histogram as unknown as Metric);
    lean.registerMetric(counter as unknown as Metric);
    const theirs = new Registry();
    const h = new Histogram({ name: "h_seconds", help: "what it measures", labelNames: ["route", "status"], buckets: bounds, registers: [theirs] });
    const c = new Counter({ name: "c_total", help: "what it counts", labelNames: ["queue"], registers: [theirs] });
    for (const [i, v] of values.entries()) {
      const labels = { route: i % 2 ? "/a/:id" : "/b", status: "200" };
      histogram.cell(labels).observe(v);
      h.observe(labels, v);
      counter.cell({ queue: i % 3 ? "local" : "gpu" }).add(2);
      c.inc({ queue: i % 3 ? "local" : "gpu" }, 2);
    }
    expect(sorted(await lean.metrics())).toEqual(sorted(await theirs.metrics()));
  });

  it("give one cell per label set, whatever the order of the labels", async () => {
    const registry = new Registry();
    const h = new LeanHistogram("x_seconds", "x", [1]);
    registry.registerMetric(h as unknown as Metric);
    h.cell({ a: "1", b: "2" }).observe(0.5);
    h.cell({ b: "2", a: "1" }).observe(2);
    expect(sorted(await registry.metrics()).filter((l) => l.startsWith("x_seconds_count"))).toEqual(['x_seconds_count{a="1",b="2"} 2']);
  });

  it("read a scraped gauge when the registry is asked, and only then", async () => {
    const registry = new Registry();
    let reads = 0;
    const g = new ScrapedGauge("g", "read when scraped", async () => [{ labels: { queue: "local", state: "running" }, value: ++reads }]);
    registry.registerMetric(g as unknown as Metric);
    expect(reads).toBe(0);
    expect(sorted(await registry.metrics())).toContain('g{queue="local",state="running"} 1');
    expect(sorted(await registry.metrics())).toContain('g{queue="local",state="running"} 2');
  });
});
