import { describe, expect, it } from "vitest";
import { jobKeyOf } from "../codec/job-key.js";
import { kwargsJobs, mapJobs, singleJob } from "./entries.js";

describe("singleJob", () => {
  it("makes one job keyed by the hash of its arguments", () => {
    const args = [1, { lr: 0.1 }];
    const jobs = singleJob(args);
    expect(jobs).toEqual([{ key: jobKeyOf(args), args: [1, { lr: 0.1 }], entry: args }]);
    expect(jobs[0]!.args).not.toBe(args);
  });

  it("takes an explicit job key", () => {
    expect(singleJob([1], "my-key")[0]!.key).toBe("my-key");
  });
});

describe("mapJobs", () => {
  it("makes one job per argument tuple, in order", () => {
    const jobs = mapJobs([[1, "a"], [2, "b"]], false);
    expect(jobs.map((j) => j.args)).toEqual([[1, "a"], [2, "b"]]);
    expect(jobs.map((j) => j.key)).toEqual([jobKeyOf([1, "a"]), jobKeyOf([2, "b"])]);
  });

  it.each([
    [5, "entry 1 is number"],
    [null, "entry 1 is null"],
    [{ x: 1 }, "entry 1 is object"],
    ["s", "entry 1 is string"],
  ])("refuses an entry that is not an array (%j)", (bad, words) => {
    const call = () => mapJobs([[0], bad], false);
    expect(call).toThrow(TypeError);
    expect(call).toThrow(words);
    expect(call).toThrow("write map([[a1], [a2]]) for a one-argument function");
  });

  it("suffixes identical entries in list mode", () => {
    const k = jobKeyOf([7]);
    const jobs = mapJobs([[7], [8], [7], [7]], false);
    expect(jobs.map((j) => j.key)).toEqual([k, jobKeyOf([8]), `${k}#1`, `${k}#2`]);
  });

  it("refuses identical entries in unique mode", () => {
    const call = () => mapJobs([[7], [8], [7]], true);
    expect(call).toThrow(TypeError);
    expect(call).toThrow(/entries 0 and 2 are identical/);
  });

  it("names the entry of an unsendable value", () => {
    expect(() => mapJobs([[1], [() => 1]], false)).toThrow(/^entries\[1\]\[0\] is a function/);
  });
});

describe("kwargsJobs", () => {
  it("keys each job by its entry, e.g. {name: 1, name1: 2}", () => {
    const jobs = kwargsJobs([], { multiJobsKwargsList: [{ name: 1, name1: 2 }] });
    expect(jobs[0]!.key).toBe("8040a35e4881c6081109c00481e465045893e3da");
    expect(jobs[0]!.key).toBe(jobKeyOf({ name: 1, name1: 2 }));
    expect(jobs[0]!.entry).toEqual({ name: 1, name1: 2 });
  });

  it("merges preKwargs < the call's options < the entry", () => {
    const jobs = kwargsJobs(["pos", { b: "call", c: "call" }], {
      preKwargs: { a: "pre", b: "pre", c: "pre" },
      multiJobsKwargsList: [{ c: "entry" }, { d: "entry" }],
    });
    expect(jobs.map((j) => j.args)).toEqual([
      ["pos", { a: "pre", b: "call", c: "entry" }],
      ["pos", { a: "pre", b: "call", c: "call", d: "entry" }],
    ]);
    expect(jobs.map((j) => j.key)).toEqual([jobKeyOf({ c: "entry" }), jobKeyOf({ d: "entry" })]);
  });

  it("appends an options object when the call has no trailing plain object", () => {
    const jobs = kwargsJobs([1, [2]], { multiJobsKwargsList: [{ x: 1 }] });
    expect(jobs[0]!.args).toEqual([1, [2], { x: 1 }]);
    // A Date is not a plain object, so it stays a positional argument.
    const when = new Date(0);
    expect(kwargsJobs([when], { multiJobsKwargsList: [{ x: 1 }] })[0]!.args).toEqual([when, { x: 1 }]);
  });

  it("replaces the positional arguments with an array entry", () => {
    const jobs = kwargsJobs(["ignored", { y: 0 }], { preKwargs: { z: 1 }, multiJobsKwargsList: [[1, 2], [3]] });
    expect(jobs.map((j) => j.args)).toEqual([[1, 2], [3]]);
    expect(jobs[0]!.key).toBe(jobKeyOf([1, 2]));
  });

  it("applies preKwargs to a single job without a list", () => {
    const jobs = kwargsJobs([1, { b: 2 }], { preKwargs: { a: 0, b: 0 } });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.args).toEqual([1, { a: 0, b: 2 }]);
    expect(jobs[0]!.key).toBe(jobKeyOf([1, { a: 0, b: 2 }]));
  });

  it("uses jobKey for a single job", () => {
    expect(kwargsJobs([1], { jobKey: "k1" })[0]!.key).toBe("k1");
  });

  it("leaves the arguments alone with no options at all", () => {
    expect(kwargsJobs([1, 2], {})[0]!.args).toEqual([1, 2]);
  });

  it("refuses an empty list", () => {
    expect(() => kwargsJobs([], { multiJobsKwargsList: [] })).toThrow(TypeError);
    expect(() => kwargsJobs([], { multiJobsKwargsList: [] })).toThrow("multiJobsKwargsList is empty");
  });

  it.each([
    [3, "multiJobsKwargsList[1] is number"],
    [null, "multiJobsKwargsList[1] is null"],
    ["s", "multiJobsKwargsList[1] is string"],
  ])("refuses an entry that is neither object nor array (%j)", (bad, words) => {
    const list = [{ a: 1 }, bad] as unknown as Array<Record<string, unknown>>;
    const call = () => kwargsJobs([], { multiJobsKwargsList: list });
    expect(call).toThrow(TypeError);
    expect(call).toThrow(words);
  });

  it("refuses identical entries, whatever their key order", () => {
    const call = () => kwargsJobs([], { multiJobsKwargsList: [{ a: 1, b: 2 }, { c: 3 }, { b: 2, a: 1 }] });
    expect(call).toThrow(TypeError);
    expect(call).toThrow("multiJobsKwargsList entries 0 and 2 are identical");
  });
});
