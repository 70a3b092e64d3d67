import { describe, expect, it } from "vitest";
import { Warmth } from "./warmth.js";

const a = { kind: "warm", owner: 1, bundleHash: "a" } as const;
const b = { kind: "warm", owner: 1, bundleHash: "b", initEnv: "source env.sh" } as const;

describe("Warmth", () => {
  it("tells each pilot of the queue once about the context that started", () => {
    const w = new Warmth({ keepMs: 1000, perQueue: 8 });
    expect(w.started("q", a, 0)).toBe(true);
    expect(w.next(1, "q", 10)).toEqual(a);
    expect(w.next(1, "q", 20)).toBeUndefined();
    expect(w.next(2, "q", 20)).toEqual(a);
    expect(w.next(3, "other", 20)).toBeUndefined();
  });

  it("tells only the most recently started context, again after another one started", () => {
    const w = new Warmth({ keepMs: 1000, perQueue: 8 });
    w.started("q", a, 0);
    expect(w.started("q", b, 1)).toBe(true);
    expect(w.next(1, "q", 2)).toEqual(b);
    expect(w.started("q", a, 3)).toBe(false);
    expect(w.next(1, "q", 4)).toEqual(a);
    expect(w.next(1, "q", 5)).toBeUndefined();
  });

  it("tells a context with a project archive apart from the same bundle without one", () => {
    const w = new Warmth({ keepMs: 1000, perQueue: 8 });
    const shipped = { ...a, projectHash: "p" };
    w.started("q", a, 0);
    expect(w.next(1, "q", 1)).toEqual(a);
    expect(w.started("q", shipped, 2)).toBe(true);
    expect(w.next(1, "q", 3)).toEqual(shipped);
  });

  it("lets a pilot told to warm a context fetch its bundle and its project archive", () => {
    const w = new Warmth({ keepMs: 1000, perQueue: 8 });
    expect(w.codeToldTo(1)).toEqual([]);
    w.started("q", { ...a, projectHash: "p" }, 0);
    w.next(1, "q", 1);
    expect(w.codeToldTo(1)).toEqual(["a", "p"]);
    w.started("q", b, 2);
    w.next(1, "q", 3);
    expect(w.codeToldTo(1)).toEqual(["b"]);
    w.forget(1);
    expect(w.codeToldTo(1)).toEqual([]);
  });

  it("forgets contexts that have not started for keepMs", () => {
    const w = new Warmth({ keepMs: 1000, perQueue: 8 });
    w.started("q", a, 0);
    expect(w.next(1, "q", 1000)).toBeUndefined();
    expect(w.started("q", a, 1000)).toBe(true);
  });

  it("tells a pilot again once it is forgotten and registers anew", () => {
    const w = new Warmth({ keepMs: 1000, perQueue: 8 });
    w.started("q", a, 0);
    w.next(1, "q", 1);
    w.forget(1);
    expect(w.next(1, "q", 2)).toEqual(a);
  });

  it("keeps at most perQueue contexts", () => {
    const w = new Warmth({ keepMs: 1000, perQueue: 1 });
    w.started("q", a, 0);
    w.started("q", b, 1);
    expect(w.started("q", a, 2)).toBe(true);
  });
});
