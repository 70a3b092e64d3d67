import { describe, expect, it } from "vitest";
import { provisioningPlan } from "./provisioning.js";

describe("provisioningPlan", () => {
  const base = { queued: 0, maxPilots: 4, slotsPerPilot: 2, live: 0, starting: 0 };

  it("starts pilots in proportion to queued jobs, up to the limit", () => {
    expect(provisioningPlan({ ...base, queued: 3 })).toEqual({ start: 2, cancelStarting: 0 });
    expect(provisioningPlan({ ...base, queued: 100 })).toEqual({ start: 4, cancelStarting: 0 });
    expect(provisioningPlan({ ...base, queued: 100, live: 3 })).toEqual({ start: 1, cancelStarting: 0 });
    expect(provisioningPlan({ ...base, queued: 100, live: 4 })).toEqual({ start: 0, cancelStarting: 0 });
  });

  it("counts pilots still starting as coming", () => {
    expect(provisioningPlan({ ...base, queued: 4, live: 2, starting: 2 })).toEqual({ start: 0, cancelStarting: 0 });
    expect(provisioningPlan({ ...base, queued: 6, live: 2, starting: 2 })).toEqual({ start: 1, cancelStarting: 0 });
  });

  it("cancels starting pilots nobody needs any more, never running ones", () => {
    expect(provisioningPlan({ ...base, queued: 0, live: 3, starting: 2 })).toEqual({ start: 0, cancelStarting: 2 });
    expect(provisioningPlan({ ...base, queued: 2, live: 3, starting: 3 })).toEqual({ start: 0, cancelStarting: 2 });
  });

  it("starts nothing on a queue without provisioning", () => {
    expect(provisioningPlan({ ...base, maxPilots: 0, queued: 10 })).toEqual({ start: 0, cancelStarting: 0 });
  });
});
