import pino from "pino";
import { describe, expect, it } from "vitest";
import { Registration } from "./registration.js";

/** A registration whose server gives ids 1, 2, 3, … and fails the registrations listed in `failing`. */
function fixture(failing: number[] = []) {
  let id = 1;
  let calls = 0;
  let drops = 0;
  let release: () => void = () => undefined;
  const registration = new Registration({
    register: async () => {
      calls++;
      await new Promise<void>((r) => (release = r));
      if (failing.includes(calls)) throw new Error("server unreachable");
      id++;
    },
    id: () => id,
    drop: () => drops++,
    log: pino({ level: "silent" }),
    retryMs: 0,
  });
  return { registration, id: () => id, calls: () => calls, drops: () => drops, release: () => release() };
}

describe("Registration", () => {
  it("registers again once however many requests of the ended registration hear it at once", async () => {
    const f = fixture();
    const heard = [f.registration.ended(1), f.registration.ended(1), f.registration.ended(1)];
    f.release();
    await Promise.all(heard);
    expect([f.calls(), f.drops(), f.id()]).toEqual([1, 1, 2]);
  });

  it("ignores a request of an earlier registration that hears it after the pilot registered again", async () => {
    const f = fixture();
    const first = f.registration.ended(1);
    f.release();
    await first;
    await f.registration.ended(1);
    expect([f.calls(), f.drops(), f.id()]).toEqual([1, 1, 2]);
    // The new registration ending is another matter.
    const second = f.registration.ended(2);
    f.release();
    await second;
    expect([f.calls(), f.drops(), f.id()]).toEqual([2, 2, 3]);
  });

  it("leaves a registration that failed to the next request that hears it, which tries again", async () => {
    const f = fixture([1]);
    const failed = f.registration.ended(1);
    f.release();
    await failed;
    expect([f.calls(), f.id()]).toEqual([1, 1]);
    const retried = f.registration.ended(1);
    f.release();
    await retried;
    expect([f.calls(), f.id()]).toEqual([2, 2]);
  });
});
