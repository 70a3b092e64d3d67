import { describe, expect, it } from "vitest";
import { handOut } from "./hand-out.js";

const demand = { capacity: 200, slots: 10, drivers: 0, prefetchNamed: true };

describe("handOut", () => {
  it("gives an idle pilot jobs of any task for its free slots only, the rest of its fast tasks", () => {
    expect(handOut(demand, 0)).toEqual({ any: 10, prefetch: 190 });
  });

  it("gives jobs of any task only as slots free up, even when the pilot holds more than its slots", () => {
    expect(handOut(demand, 4)).toEqual({ any: 6, prefetch: 190 });
    expect(handOut(demand, 25)).toEqual({ any: 0, prefetch: 175 });
  });

  it("does not count the drivers a pilot runs against its slots", () => {
    expect(handOut({ ...demand, capacity: 12, drivers: 2 }, 2)).toEqual({ any: 10, prefetch: 0 });
  });

  it("never hands out more than the pilot asked for", () => {
    expect(handOut({ ...demand, capacity: 5 }, 0)).toEqual({ any: 5, prefetch: 0 });
    expect(handOut({ ...demand, capacity: 5 }, 7)).toEqual({ any: 0, prefetch: 0 });
  });

  it("hands a pilot that names no prefetch tasks anything up to what it asked for", () => {
    expect(handOut({ ...demand, prefetchNamed: false }, 50)).toEqual({ any: 150, prefetch: 0 });
  });
});
