import { Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { LeanHistogram } from "./lean-histogram.js";

describe("LeanHistogram", () => {
  it("writes the same exposition as prom-client's own histogram for the same observations", async () => {
    const bounds = [0.001, 0.01, 0.1, 1];
    const values = [0.0005, 0.001, 0.002, 0.05, 0.05, 0.5, 3, 0.01];
    const lean = new Registry();
    const ours = new LeanHistogram("h_seconds", "what it measures", bounds, lean);
    const theirs = new Registry();
    const reference = new Histogram({ name: "h_seconds", help: "what it measures", labelNames: ["route", "status"], buckets: bounds, registers: [theirs] });
    for (const [i, v] of values.entries()) {
      const labels = { route: i % 2 ? "/a/:id" : "/b", status: "200" };
      ours.cell(labels).observe(v);
      reference.observe(labels, v);
    }
    const sorted = (text: string) => text.split("\n").filter(Boolean).sort();
    expect(sorted(await lean.metrics())).toEqual(sorted(await theirs.metrics()));
  });

  it("gives one cell per label set, whatever the order of the labels", async () => {
    const registry = new Registry();
    const h = new LeanHistogram("x_seconds", "x", [1], registry);
    h.cell({ a: "1", b: "2" }).observe(0.5);
    h.cell({ b: "2", a: "1" }).observe(2);
    expect((await registry.metrics()).split("\n").filter((l) => l.startsWith("x_seconds_count"))).toEqual(['x_seconds_count{a="1",b="2"} 2']);
  });
});
