import { describe, expect, it } from "vitest";
import { attemptKey } from "../core/attempt-key.js";
import type { AttemptUpdate, DispatchedJob } from "../core/dispatch-records.js";
import { dispatchedJob } from "./dispatched-job.fixture.js";
import { Ledger } from "./ledger.js";

function job(jobId: number, attempt = 1): DispatchedJob {
  return dispatchedJob(jobId, { attempt, taskId: 7, workflowId: 3 });
}

const finished = (jobId: number, attempt = 1): AttemptUpdate => ({ jobId, attempt, state: "finished", result: "1", startedAt: 10, endedAt: 20 });

/** A ledger holding these jobs, their final states published to the broker at `at`. */
function published(at: number, ...ids: number[]): Ledger {
  const ledger = new Ledger();
  for (const id of ids) {
    ledger.accept(job(id));
    ledger.finish(job(id), { state: "finished" }, at);
  }
  ledger.published(ids.map((id) => finished(id)), at);
  return ledger;
}

describe("Ledger", () => {
  it("follows an attempt from fetching through waiting and running to done", () => {
    const ledger = new Ledger();
    ledger.accept(job(1));
    expect(ledger.phase(job(1))).toBe("fetching");
    expect(ledger.fetched(job(1), "waiting")).toBe(true);
    expect(ledger.phase(job(1))).toBe("waiting");
    // Only a fetching attempt goes on when its bundle arrives.
    expect(ledger.fetched(job(1), "running")).toBe(false);
    ledger.sent(job(1));
    expect(ledger.phase(job(1))).toBe("running");
    expect(ledger.started(job(1), 100)).toBe(true);
    expect(ledger.started(job(1), 150)).toBe(false);
    expect(ledger.finish(job(1), { state: "finished", result: "42" }, 300)).toEqual({
      jobId: 1,
      attempt: 1,
      state: "finished",
      result: "42",
      startedAt: 100,
      endedAt: 300,
    });
    expect(ledger.phase(job(1))).toBe("done");
    expect(ledger.size).toBe(1);
  });

  it("reports a final state once, and keeps the times the executor measured", () => {
    const ledger = new Ledger();
    ledger.accept(job(1));
    ledger.started(job(1), 100);
    expect(ledger.finish(job(1), { state: "failed", startedAt: 120, endedAt: 180 }, 300)).toMatchObject({ startedAt: 120, endedAt: 180 });
    expect(ledger.finish(job(1), { state: "cancelled" }, 400)).toBeUndefined();
    expect(ledger.finish(job(2), { state: "cancelled" }, 400)).toBeUndefined();
  });

  it("does not let an attempt killed while its bundle was fetched go on to an executor", () => {
    const ledger = new Ledger();
    ledger.accept(job(1));
    ledger.finish(job(1), { state: "cancelled" }, 5);
    expect(ledger.fetched(job(1), "waiting")).toBe(false);
    ledger.accept(job(2));
    ledger.forget(job(2));
    expect(ledger.fetched(job(2), "running")).toBe(false);
  });

  it("tells attempts apart by job and attempt", () => {
    const ledger = new Ledger();
    ledger.accept(job(1, 1));
    ledger.accept(job(1, 2));
    ledger.finish(job(1, 1), { state: "failed" }, 5);
    expect(ledger.phase(job(1, 1))).toBe("done");
    expect(ledger.phase(job(1, 2))).toBe("fetching");
    expect(attemptKey(job(1, 2))).not.toBe(attemptKey(job(12, 1)));
  });

  it("puts an attempt taken back from an executor back to waiting, as if it had not started", () => {
    const ledger = new Ledger();
    ledger.accept(job(1));
    ledger.fetched(job(1), "waiting");
    ledger.sent(job(1));
    ledger.started(job(1), 100);
    ledger.returned(job(1));
    expect(ledger.phase(job(1))).toBe("waiting");
    expect(ledger.started(job(1), 200)).toBe(true);
    expect(ledger.finish(job(1), { state: "finished" }, 250)).toMatchObject({ startedAt: 200 });
  });

  it("reports an attempt as running once, and only when it has run for the delay", () => {
    const ledger = new Ledger();
    for (const id of [1, 2, 3]) {
      ledger.accept(job(id));
      ledger.fetched(job(id), "waiting");
      ledger.sent(job(id));
    }
    ledger.started(job(1), 1000);
    ledger.started(job(2), 1080);
    // 3 is queued on its executor: not started.
    expect(ledger.dueRunning(1100, 100)).toEqual([{ jobId: 1, attempt: 1, state: "running", startedAt: 1000 }]);
    expect(ledger.dueRunning(1100, 100)).toEqual([]);
    ledger.finish(job(2), { state: "finished" }, 1150);
    expect(ledger.dueRunning(1300, 100)).toEqual([]);
  });

  it("lets go of final states the server acknowledged over REST, not of running ones", () => {
    const ledger = new Ledger();
    ledger.accept(job(1));
    ledger.accept(job(2));
    ledger.reported([finished(1), { jobId: 2, attempt: 1, state: "running", startedAt: 5 }]);
    expect(ledger.phase(job(1))).toBeUndefined();
    expect(ledger.phase(job(2))).toBe("fetching");
    expect(ledger.refs()).toEqual([{ jobId: 2, attempt: 1 }]);
  });

  it("holds published results until an acquire's answer names them recorded", () => {
    const ledger = published(1000, 1, 2);
    ledger.accept(job(3));
    expect(ledger.publishedRefs()).toEqual([
      [1, 1],
      [2, 1],
    ]);
    expect(ledger.anyPublished()).toBe(true);
    ledger.forgetRecorded([{ jobId: 1, attempt: 1 }, { jobId: 3, attempt: 1 }]);
    // 3 was never published: an acquire's answer cannot let it go.
    expect(ledger.refs()).toEqual([
      { jobId: 2, attempt: 1 },
      { jobId: 3, attempt: 1 },
    ]);
  });

  it("holds published results while a heartbeat's answer still counts them held", () => {
    const ledger = published(1000, 1, 2);
    ledger.accept(job(3));
    ledger.keepUnrecorded([{ jobId: 2, attempt: 1 }]);
    // 3 is not published: what the server counts does not let it go.
    expect(ledger.refs()).toEqual([
      { jobId: 2, attempt: 1 },
      { jobId: 3, attempt: 1 },
    ]);
    ledger.keepUnrecorded([]);
    expect(ledger.anyPublished()).toBe(false);
    expect(ledger.size).toBe(1);
  });

  it("hands out published results the server has not recorded by the cutoff, once, for REST", () => {
    const ledger = published(1000, 1);
    ledger.accept(job(2));
    ledger.finish(job(2), { state: "finished" }, 2000);
    ledger.published([finished(2)], 2000);
    expect(ledger.unrecorded(1500)).toEqual([finished(1)]);
    expect(ledger.unrecorded(1500)).toEqual([]);
    expect(ledger.publishedRefs()).toEqual([[2, 1]]);
    // Still held (listed in heartbeats) until the REST report is acknowledged.
    expect(ledger.phase(job(1))).toBe("done");
  });

  it("lets go of attempts not sent to an executor when the pilot stops", () => {
    const ledger = new Ledger();
    for (const id of [1, 2, 3]) ledger.accept(job(id));
    ledger.fetched(job(2), "waiting");
    ledger.fetched(job(3), "waiting");
    ledger.sent(job(3));
    ledger.forgetNotStarted();
    expect(ledger.refs()).toEqual([{ jobId: 3, attempt: 1 }]);
    ledger.clear();
    expect(ledger.size).toBe(0);
  });
});
