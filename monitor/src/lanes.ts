// Lanes of the workflow's task picture: tasks that follow each other share a lane (an iteration after
// another reads left to right), tasks that overlap in time (a fan-out) stack in lanes of their own.

export interface Span {
  start: number;
  end: number;
}

/** Each item's lane (0 is the top), the first lane free at the item's start; and how many lanes there are. */
export function assignLanes<T extends Span>(items: readonly T[]): { lanes: number; placed: Array<{ item: T; lane: number }> } {
  const order = items.map((item, i) => ({ item, i })).sort((a, b) => a.item.start - b.item.start || a.i - b.i);
  const laneEnds: number[] = [];
  const placed = order.map(({ item }) => {
    let lane = laneEnds.findIndex((end) => end <= item.start);
    if (lane < 0) lane = laneEnds.push(0) - 1;
    laneEnds[lane] = Math.max(item.start, item.end);
    return { item, lane };
  });
  return { lanes: laneEnds.length, placed };
}
