import { describe, expect, it } from "vitest";
import { decimalsOf, logAxis, logScale, formatOffset, linearScale, niceAxis, niceStep, timeTicks } from "./scale.js";

describe("linearScale", () => {
  it("maps a domain onto a range, flipped ranges too", () => {
    const x = linearScale([0, 10], [100, 200]);
    expect(x(0)).toBe(100);
    expect(x(5)).toBe(150);
    const y = linearScale([0, 4], [80, 0]);
    expect(y(1)).toBe(60);
  });
  it("maps an empty domain to the range's start", () => {
    expect(linearScale([3, 3], [10, 20])(3)).toBe(10);
  });
});

describe("niceAxis", () => {
  it("picks steps of 1, 2 or 5 times a power of ten", () => {
    expect(niceStep(100, 5)).toBe(20);
    expect(niceStep(7, 5)).toBe(2);
    expect(niceStep(0.3, 5)).toBe(0.1);
    expect(decimalsOf(0.25)).toBe(2);
    expect(decimalsOf(20)).toBe(0);
  });
  it("widens the domain to whole steps and lists exact ticks", () => {
    expect(niceAxis(3, 97)).toEqual({ domain: [0, 100], ticks: [0, 20, 40, 60, 80, 100], decimals: 0 });
    expect(niceAxis(0.12, 0.38).ticks).toEqual([0.1, 0.2, 0.3, 0.4]);
    expect(niceAxis(0.12, 0.31, 4)).toEqual({ domain: [0.1, 0.35], ticks: [0.1, 0.15, 0.2, 0.25, 0.3, 0.35], decimals: 2 });
    expect(niceAxis(-3, 2).domain).toEqual([-3, 2]);
  });
  it("gives a flat series room around its value", () => {
    const axis = niceAxis(4, 4);
    expect(axis.domain[0]).toBeLessThan(4);
    expect(axis.domain[1]).toBeGreaterThan(4);
    expect(niceAxis(0, 0).domain).toEqual([-1, 1]);
  });
});

describe("time axes", () => {
  it("ticks at round times", () => {
    expect(timeTicks(60_000)).toEqual([0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000]);
    expect(timeTicks(25 * 60_000, 5)).toEqual([0, 300_000, 600_000, 900_000, 1_200_000, 1_500_000]);
    expect(timeTicks(600, 3)).toEqual([0, 200, 400, 600]);
    expect(timeTicks(0)).toEqual([0]);
  });
  it("labels offsets compactly", () => {
    expect(formatOffset(0)).toBe("0");
    expect(formatOffset(500)).toBe("500ms");
    expect(formatOffset(1_500)).toBe("1.5s");
    expect(formatOffset(15_000)).toBe("15s");
    expect(formatOffset(120_000)).toBe("2m");
    expect(formatOffset(90_000)).toBe("1m30s");
    expect(formatOffset(9_000_000)).toBe("2h30m");
    expect(formatOffset(86_400_000)).toBe("1d");
  });
});

describe("logarithmic axes", () => {
  it("covers the values with powers of ten, and 2 and 5 times them over a narrow range", () => {
    expect(logAxis(3, 4000)).toEqual({ domain: [1, 10000], ticks: [1, 10, 100, 1000, 10000], decimals: 0 });
    expect(logAxis(0.03, 0.4)).toEqual({ domain: [0.01, 1], ticks: [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1], decimals: 2 });
  });

  it("spaces each decade equally", () => {
    const y = logScale([1, 1000], [0, 300]);
    expect([y(1), y(10), y(100), y(1000)].map((v) => Math.round(v))).toEqual([0, 100, 200, 300]);
  });
});
