import { describe, expect, it } from "vitest";
import type { TaskResultsResponse } from "../api/results.js";
import type { JobOutcome } from "../core/dispatch-records.js";
import { ResultChannel, type ResultSource } from "./result-channel.js";
import { useSilentBroker } from "./silent-broker.fixture.js";

const broker = useSilentBroker();

describe("ResultChannel", () => {
  it("starts no broker link when closed while the STOMP client is still loading", async () => {
    const settings = broker();
    const source: ResultSource = {
      brokerSettings: async () => settings,
      taskResults: () => Promise.reject(new Error("no task results in this test")),
    };
    const channel = new ResultChannel(source, settings);
    const opening = channel.openTask();
    await channel.close();
    await opening;
    expect(channel.brokerActive).toBe(false);
    expect((channel as unknown as { link: unknown }).link).toBeUndefined();
  });

  describe("a message the driver cannot read", () => {
    const outcome: JobOutcome = { jobId: 7, index: 0, key: "k0", state: "finished", result: "1", attempts: 1, startedAt: 1, endedAt: 2, pilot: "p", queue: "local", via: "rest", seq: 1 };
    /** A channel whose broker counts as up, on a server that has the task's one outcome. */
    function setUp() {
      const asked: number[] = [];
      const source: ResultSource = {
        brokerSettings: async () => null,
        taskResults: async (taskId) => {
          asked.push(taskId);
          return { task: { status: "finished" }, results: [outcome], cursor: 1 } as unknown as TaskResultsResponse;
        },
      };
      const warnings: string[] = [];
      const channel = new ResultChannel(source, null, (m) => warnings.push(m), 100);
      Object.defineProperty(channel, "brokerActive", { get: () => true });
      return { channel, asked, warnings };
    }
    const collect = async (channel: ResultChannel, receive: (task: Awaited<ReturnType<ResultChannel["openTask"]>>) => void) => {
      const task = await channel.openTask();
      const got: JobOutcome[] = [];
      receive(task);
      await task.collect(3, "0".repeat(64), ["k0"], (o) => got.push(...o), () => got.length === 1, new AbortController().signal);
      return got;
    };

    it("is not read when it is over the limit, and the task's results come from the server instead", async () => {
      const { channel, asked, warnings } = setUp();
      const got = await collect(channel, (task) => task.receive("x".repeat(101)));
      expect(got.map((o) => o.jobId)).toEqual([7]);
      expect(asked).toEqual([3]);
      expect(warnings.join("\n")).toMatch(/101 characters long, over the 100 a driver reads \(PANDO_MAX_BROKER_MESSAGE\); its results are read from the server/);
    });

    it("keeps the messages that come before the submission's answer only up to the limit in all", async () => {
      const { channel, asked, warnings } = setUp();
      const got = await collect(channel, (task) => {
        for (let i = 0; i < 3; i++) task.receive("y".repeat(40));
      });
      expect(got.map((o) => o.jobId)).toEqual([7]);
      expect(asked).toEqual([3]);
      expect(warnings.join("\n")).toMatch(/before the task's submission was answered are over 100 characters in all/);
    });

    it("falls back to the server when a message is not sealed with the task's key", async () => {
      const { channel, asked, warnings } = setUp();
      const task = await channel.openTask();
      const got: JobOutcome[] = [];
      const done = task.collect(3, "0".repeat(64), ["k0"], (o) => got.push(...o), () => got.length === 1, new AbortController().signal);
      task.receive("bm90IHNlYWxlZCBieSB0aGUgdGFzaydzIGtleSBhdCBhbGw=");
      await done;
      expect(got.map((o) => o.jobId)).toEqual([7]);
      expect(asked).toEqual([3]);
      expect(warnings.join("\n")).toMatch(/task 3: it is not sealed with the task's key; its results are read from the server/);
    });
  });
});
