import { describe, expect, it } from "vitest";
import { JobDepth } from "./job-depth.js";

describe("JobDepth", () => {
  it("starts with one job per slot", () => {
    expect(new JobDepth(20, 1000).value()).toBe(1);
  });

  it("grows for fast jobs up to the maximum", () => {
    const d = new JobDepth(20, 1000);
    for (let i = 0; i < 20; i++) d.observe(0);
    expect(d.value()).toBe(1000);
  });

  it("keeps one job for slow jobs", () => {
    const d = new JobDepth(20, 1000);
    d.observe(5000);
    expect(d.value()).toBe(1);
  });

  it("follows a change of job duration", () => {
    const d = new JobDepth(20, 1000);
    for (let i = 0; i < 10; i++) d.observe(1);
    expect(d.value()).toBe(20);
    for (let i = 0; i < 30; i++) d.observe(100);
    expect(d.value()).toBe(1);
  });
});
