import { describe, expect, it } from "vitest";
import { JobDepth, TaskDepths } from "./job-depth.js";

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

describe("TaskDepths", () => {
  it("gives a task not seen yet depth one, whatever other tasks ran", () => {
    const d = new TaskDepths(20, 1000);
    for (let i = 0; i < 100; i++) d.observe(1, 1);
    expect(d.depth(1)).toBe(20);
    expect(d.depth(2)).toBe(1);
  });

  it("keeps each task's depth apart", () => {
    const d = new TaskDepths(20, 1000);
    for (let i = 0; i < 10; i++) {
      d.observe(1, 1);
      d.observe(2, 1000);
    }
    expect(d.depth(1)).toBe(20);
    expect(d.depth(2)).toBe(1);
  });

  it("prefetches only tasks known to be fast, most recent first, with their deepest depth", () => {
    const d = new TaskDepths(20, 1000);
    d.observe(1, 2);
    d.observe(2, 1000);
    d.observe(3, 1);
    expect(d.prefetch(10)).toEqual({ tasks: [3, 1], depth: 20 });
    expect(d.prefetch(1)).toEqual({ tasks: [3], depth: 20 });
    expect(new TaskDepths(20, 1000).prefetch(10)).toEqual({ tasks: [], depth: 1 });
  });

  it("forgets the least recently observed tasks beyond its limit", () => {
    const d = new TaskDepths(20, 1000, 2);
    d.observe(1, 1);
    d.observe(2, 1);
    d.observe(1, 1);
    d.observe(3, 1);
    expect(d.depth(2)).toBe(1);
    expect(d.depth(1)).toBe(20);
    expect(d.depth(3)).toBe(20);
  });
});
