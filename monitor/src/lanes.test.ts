import { describe, expect, it } from "vitest";
import { assignLanes } from "./lanes.js";

describe("assignLanes", () => {
  it("keeps tasks that follow each other in one lane", () => {
    const { lanes, placed } = assignLanes([
      { id: 1, start: 0, end: 10 },
      { id: 2, start: 10, end: 20 },
      { id: 3, start: 25, end: 30 },
    ]);
    expect(lanes).toBe(1);
    expect(placed.map((p) => [p.item.id, p.lane])).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
    ]);
  });

  it("stacks a fan-out in parallel lanes and reuses them after the fan-in", () => {
    const { lanes, placed } = assignLanes([
      { id: 4, start: 10, end: 20 },
      { id: 1, start: 0, end: 10 },
      { id: 2, start: 10, end: 18 },
      { id: 3, start: 11, end: 15 },
      { id: 5, start: 20, end: 30 },
    ]);
    expect(lanes).toBe(3);
    const laneOf = Object.fromEntries(placed.map((p) => [p.item.id, p.lane]));
    expect(laneOf).toEqual({ 1: 0, 4: 0, 2: 1, 3: 2, 5: 0 });
  });

  it("has no lanes for no tasks", () => {
    expect(assignLanes([])).toEqual({ lanes: 0, placed: [] });
  });
});
