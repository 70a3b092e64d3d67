import { describe, expect, it } from "vitest";
import { SingleFlight } from "./single-flight.js";

describe("SingleFlight", () => {
  it("shares one load among the callers of a key while it is in flight, and loads again after it ended", async () => {
    const flights = new SingleFlight<string>();
    let loads = 0;
    let finish: (v: number) => void = () => undefined;
    const load = () => {
      loads++;
      return new Promise<number>((r) => (finish = r));
    };
    const callers = Array.from({ length: 50 }, () => flights.run("queues", load));
    expect(loads).toBe(1);
    finish(7);
    expect(await Promise.all(callers)).toEqual(Array(50).fill(7));
    const next = flights.run("queues", load);
    expect(loads).toBe(2);
    finish(8);
    expect(await next).toBe(8);
  });

  it("loads each key on its own, and passes a failed load to all its callers, then tries again", async () => {
    const flights = new SingleFlight<string>();
    const keys: string[] = [];
    const load = (key: string, fail = false) => () => {
      keys.push(key);
      return fail ? Promise.reject(new Error(`no ${key}`)) : Promise.resolve(key);
    };
    const failed = [flights.run("a", load("a", true)), flights.run("a", load("a"))];
    expect(await flights.run("b", load("b"))).toBe("b");
    for (const f of failed) await expect(f).rejects.toThrow("no a");
    expect(await flights.run("a", load("a"))).toBe("a");
    expect(keys).toEqual(["a", "b", "a"]);
  });
});
