// The SDK's in-process modes through the public API: a work called outside any workflow, and
// workflow({ distributed: false }). Work names start with "local-modes." because the registry is global.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sleep } from "../core/sleep.js";
import {
  CodecError,
  JobError,
  MapResult,
  TaskFailedError,
  WorkflowError,
  currentJob,
  work,
  workflow,
  type CompletedJob,
} from "../index.js";
import { setDriverEnvironment } from "./driver-env.js";

const local = <T>(name: string, body: () => Promise<T>) =>
  workflow({ name: `local-modes.${name}`, distributed: false }, body);

describe("a work called outside any workflow", () => {
  const echo = work({ name: "local-modes.echo" }, (value: object) => value);
  const double = work({ name: "local-modes.double" }, (x: number) => x * 2);
  const doubleMap = work({ name: "local-modes.doubleMap", mapResults: true }, (x: number) => x * 2);

  it("runs the function directly, without copying values", async () => {
    const value = { nested: { n: 1 }, when: new Date(0) };
    const out = await echo(value);
    expect(out).toBe(value);
  });

  it("gives the list of values of map()", async () => {
    expect(await double.map([[1], [2], [3]])).toEqual([2, 4, 6]);
  });

  it("gives a MapResult of map() with mapResults", async () => {
    const r = await doubleMap.map([[1], [5]]);
    expect(r).toBeInstanceOf(MapResult);
    expect(r.get([5])).toBe(10);
    expect(r.values()).toEqual([2, 10]);
    expect(r.taskId).toBeNull();
  });
});

describe("workflow({ distributed: false })", () => {
  it("runs work calls in input order", async () => {
    const order: number[] = [];
    const record = work({ name: "local-modes.record" }, async (x: number) => {
      await sleep((3 - x) * 5);
      order.push(x);
      return x;
    });
    const wf = local("order", async () => record.map([[1], [2], [3]]));
    expect(await wf()).toEqual([1, 2, 3]);
    expect(order).toEqual([1, 2, 3]);
  });

  it("round-trips values through the codec", async () => {
    const seen: Date[] = [];
    const keep = work({ name: "local-modes.keepDate" }, (d: Date) => {
      seen.push(d);
      return d;
    });
    const sent = new Date("2024-01-02T03:04:05.006Z");
    const wf = local("dates", async () => keep(sent));
    const back = await wf();
    expect(seen[0]).toBeInstanceOf(Date);
    expect(seen[0]).not.toBe(sent);
    expect(seen[0]!.getTime()).toBe(sent.getTime());
    expect(back).toEqual(sent);
    expect(back).not.toBe(seen[0]);
  });

  it("rejects a function argument with a CodecError naming it", async () => {
    const calls: unknown[] = [];
    const take = work({ name: "local-modes.takeFn" }, (f: () => number) => {
      calls.push(f);
      return 1;
    });
    const wf = local("fnArg", async () => take(() => 1));
    const err: unknown = await wf().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodecError);
    expect((err as CodecError).message).toMatch(/^args\[0\] is a function/);
    expect((err as CodecError).path).toBe("args[0]");
    expect(calls).toHaveLength(0);
  });

  it("retries a throwing job up to maxAttempts", async () => {
    let calls = 0;
    const flaky = work({ name: "local-modes.alwaysThrows", maxAttempts: 4 }, (_x: number) => {
      calls++;
      throw new Error("boom");
    });
    const wf = local("retries", async () => flaky(1));
    const err: unknown = await wf().catch((e: unknown) => e);
    expect(calls).toBe(4);
    expect(err).toBeInstanceOf(JobError);
    expect((err as JobError).message).toBe("boom");
    expect((err as JobError).code).toBe("user_error");
    expect((err as JobError).attempts).toBe(4);
    expect((err as JobError).jobId).toBeNull();
  });

  it("fails an unserialisable result at once, without retries", async () => {
    let calls = 0;
    const makeFn = work({ name: "local-modes.returnsFn" }, (_x: number) => {
      calls++;
      return () => 1;
    });
    const wf = local("badResult", async () => makeFn(1));
    const err: unknown = await wf().catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(err).toBeInstanceOf(JobError);
    expect((err as JobError).code).toBe("unserialisable_result");
    expect((err as JobError).message).toMatch(/^result is a function/);
  });

  it("gives the attempt number through currentJob()", async () => {
    const attempts: Array<number | undefined> = [];
    const secondTime = work({ name: "local-modes.secondTime" }, (x: number) => {
      const attempt = currentJob()?.attempt;
      attempts.push(attempt);
      if (attempt === 1) throw new Error("first attempt fails");
      return { x, attempt, index: currentJob()?.index };
    });
    const wf = local("attempts", async () => secondTime(7));
    expect(await wf()).toEqual({ x: 7, attempt: 2, index: 0 });
    expect(attempts).toEqual([1, 2]);
    expect(currentJob()).toBeUndefined();
  });

  it("leaves failed jobs out of list results", async () => {
    const odd = work({ name: "local-modes.oddOnly", maxAttempts: 1 }, (x: number) => {
      if (x % 2 === 0) throw new Error(`even ${x}`);
      return x;
    });
    const wf = local("partial", async () => odd.map([[1], [2], [3], [4]]));
    expect(await wf()).toEqual([1, 3]);
  });

  it("rejects with TaskFailedError when every job fails", async () => {
    const fail = work({ name: "local-modes.allFail", maxAttempts: 2 }, (x: number) => {
      throw new Error(`no ${x}`);
    });
    const wf = local("allFail", async () => fail.map([[1], [2]]));
    const err: unknown = await wf().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskFailedError);
    const tf = err as TaskFailedError;
    expect(tf.message).toBe("all 2 job(s) of the local (local-modes.allFail) failed; the first error: no 1");
    expect(tf.errors.map((e) => [e.message, e.attempts])).toEqual([
      ["no 1", 2],
      ["no 2", 2],
    ]);
  });

  it("streams every outcome through asCompleted()", async () => {
    const half = work({ name: "local-modes.half", maxAttempts: 1 }, (x: number) => {
      if (x === 0) throw new Error("zero");
      return 10 / x;
    });
    const seen: Array<CompletedJob<[number], number>> = [];
    const wf = local("stream", async () => {
      for await (const job of half.map([[1], [0], [5]]).asCompleted()) seen.push(job);
    });
    await wf();
    expect(seen.map((j) => [j.index, j.entry, j.ok, j.value])).toEqual([
      [0, [1], true, 10],
      [1, [0], false, undefined],
      [2, [5], true, 2],
    ]);
    expect(seen[1]!.error).toBeInstanceOf(JobError);
    expect(seen[1]!.error!.message).toBe("zero");
    expect(seen[1]!.details.state).toBe("failed");
  });

  it("cancel() stops the later jobs of a local map", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const ran: number[] = [];
    const slow = work({ name: "local-modes.slow", mapResults: true }, async (x: number) => {
      ran.push(x);
      if (x === 1) await gate;
      return x;
    });
    const wf = local("cancel", async () => {
      const run = slow.map([[1], [2], [3]]);
      await run.cancel();
      release();
      return run;
    });
    const r = await wf();
    expect(ran).toEqual([1]);
    expect(r.values()).toEqual([1]);
    expect(r.details([2])?.state).toBe("cancelled");
    expect(r.details([3])?.state).toBe("cancelled");
    expect(r.failed.map((f) => [f.entry, f.error.code])).toEqual([
      [[2], "killed"],
      [[3], "killed"],
    ]);
  });
});

describe("a distributed workflow without a server", () => {
  let saved: { server: string | undefined; token: string | undefined };

  beforeEach(() => {
    saved = { server: process.env.PANDO_SERVER, token: process.env.PANDO_TOKEN };
    delete process.env.PANDO_SERVER;
    delete process.env.PANDO_TOKEN;
    setDriverEnvironment(undefined);
  });

  afterEach(() => {
    if (saved.server !== undefined) process.env.PANDO_SERVER = saved.server;
    if (saved.token !== undefined) process.env.PANDO_TOKEN = saved.token;
  });

  it("rejects with a WorkflowError telling how to run it", async () => {
    let ran = false;
    const wf = workflow({ name: "local-modes.noServer" }, async () => {
      ran = true;
    });
    const err: unknown = await wf().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowError);
    const message = (err as WorkflowError).message;
    expect(message).toContain("workflow 'local-modes.noServer' has no Pando server to run on");
    expect(message).toContain("pando run <file>#local-modes.noServer");
    expect(message).toContain("PANDO_SERVER");
    expect(message).toContain("workflow({ distributed: false })");
    expect(ran).toBe(false);
  });
});

describe("work names", () => {
  it("refuses two works with the same name but different code", () => {
    work({ name: "local-modes.clash" }, (x: number) => x + 1);
    expect(() => work({ name: "local-modes.clash" }, (x: number) => x + 2)).toThrow(
      "two different works are named 'local-modes.clash'",
    );
  });

  it("accepts the same definition twice", () => {
    const define = () => work({ name: "local-modes.twice" }, (x: number) => x + 1);
    const a = define();
    const b = define();
    expect(a.workName).toBe("local-modes.twice");
    expect(b.workName).toBe("local-modes.twice");
  });
});

describe("a work's declared objective", () => {
  it("is refused at definition when its direction or name is wrong, with what to write instead", () => {
    const declare = (objective: unknown) => () => work({ name: "local-modes.objective", objective } as never, async () => 1);
    expect(declare({ name: "auc", direction: "higher" })).toThrow(`work 'local-modes.objective': objective direction must be "minimize" or "maximize" (got "higher")`);
    expect(declare({ direction: "minimize" })).toThrow(/objective needs a name: the result field that is the objective/);
    expect(declare({ name: "auc", direction: "maximize" })().options.objective).toEqual({ name: "auc", direction: "maximize" });
  });
});
