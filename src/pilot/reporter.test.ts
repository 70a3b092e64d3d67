import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/errors.js";
import type { ReportRequest } from "../api/pilots.js";
import type { AttemptUpdate } from "../core/dispatch-records.js";
import { useSilentBroker } from "../bus/silent-broker.fixture.js";
import { dispatchedJob } from "./dispatched-job.fixture.js";
import { Ledger } from "./ledger.js";
import { Reporter } from "./reporter.js";
import type { ServerLink } from "./server-link.js";

const broker = useSilentBroker();

describe("Reporter", () => {
  it("starts no broker publisher when the pilot leaves while the STOMP client is still loading", async () => {
    const reporter = new Reporter({
      link: {} as ServerLink,
      ledger: new Ledger(),
      log: pino({ enabled: false }),
      onServerError: async () => undefined,
    });
    const using = reporter.useBroker(broker(), { id: 1, reportKey: "k", name: "pilot-1", queue: "default" });
    reporter.close();
    await using;
    await reporter.stop();
    expect((reporter as unknown as { publisher: unknown }).publisher).toBeUndefined();
  });

  describe("running states", () => {
    afterEach(() => vi.useRealTimers());

    /** A reporter whose reports are recorded, over a ledger holding running jobs started at the given times. */
    function reporterWith(ledger: Ledger): { reporter: Reporter; reported: ReportRequest[] } {
      const reported: ReportRequest[] = [];
      const link = { report: async (r: ReportRequest) => (reported.push(r), { accepted: r.updates.length, ignored: 0 }) } as unknown as ServerLink;
      return { reporter: new Reporter({ link, ledger, log: pino({ enabled: false }), onServerError: async () => undefined }), reported };
    }
    const start = (ledger: Ledger, jobId: number) => {
      ledger.accept(dispatchedJob(jobId));
      ledger.sent({ jobId, attempt: 1 });
      return ledger.started({ jobId, attempt: 1 }, Date.now());
    };
    const runningIds = (reported: ReportRequest[]) => reported.flatMap((r) => r.updates.filter((u) => u.state === "running").map((u) => u.jobId));

    it("reports a job that started while the timer of an earlier one was already set, once it has run long enough", async () => {
      vi.useFakeTimers();
      const ledger = new Ledger();
      const { reporter, reported } = reporterWith(ledger);
      if (start(ledger, 1)) reporter.runningSoon();
      await vi.advanceTimersByTimeAsync(60);
      if (start(ledger, 2)) reporter.runningSoon();
      await vi.advanceTimersByTimeAsync(40);
      expect(runningIds(reported)).toEqual([1]);
      await vi.advanceTimersByTimeAsync(60);
      expect(runningIds(reported)).toEqual([1, 2]);
      await vi.advanceTimersByTimeAsync(1000);
      expect(runningIds(reported)).toEqual([1, 2]);
      reporter.close();
    });

    it("never reports a job that ended before it had run long enough", async () => {
      vi.useFakeTimers();
      const ledger = new Ledger();
      const { reporter, reported } = reporterWith(ledger);
      if (start(ledger, 1)) reporter.runningSoon();
      await vi.advanceTimersByTimeAsync(50);
      ledger.finish({ jobId: 1, attempt: 1 }, { state: "finished", result: "1" }, Date.now());
      await vi.advanceTimersByTimeAsync(1000);
      expect(runningIds(reported)).toEqual([]);
      reporter.close();
    });
  });

  describe("refused reports", () => {
    /** A server that refuses (400) every report holding an update `refuses` picks, and records the others. */
    function refusingServer(refuses: (u: AttemptUpdate) => boolean) {
      const sends: AttemptUpdate[][] = [];
      const recorded: AttemptUpdate[] = [];
      const link = {
        report: async (r: ReportRequest) => {
          sends.push(r.updates);
          if (r.updates.some(refuses)) throw new ApiError(400, "invalid_request", "body.updates[0].result: not storable");
          recorded.push(...r.updates);
          return { accepted: r.updates.length, ignored: 0 };
        },
      } as unknown as ServerLink;
      const reporter = new Reporter({ link, ledger: new Ledger(), log: pino({ enabled: false }), onServerError: async () => undefined });
      return { reporter, sends, recorded };
    }
    const finished = (jobId: number, result: string): AttemptUpdate => ({ jobId, attempt: 1, state: "finished", result, stdout: result });

    it("records the other updates, reports the refused one as its job's failure, and sends it a bounded number of times", async () => {
      const { reporter, sends, recorded } = refusingServer((u) => u.result === "poison");
      for (let i = 1; i <= 20; i++) reporter.add(finished(i, i === 3 ? "poison" : String(i)));
      await reporter.flush();
      expect(recorded.filter((u) => u.state === "finished").map((u) => u.jobId).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1).filter((i) => i !== 3),
      );
      const failure = recorded.find((u) => u.jobId === 3)!;
      expect(failure).toMatchObject({ state: "failed", error: { code: "unrecordable_report" } });
      expect(failure.error!.message).toContain("not storable");
      expect(failure.result).toBeUndefined();
      expect(sends.filter((b) => b.some((u) => u.result === "poison")).length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(20)) + 1);
    });

    it("drops an update whose failure report is refused too, and goes on with the others", async () => {
      const { reporter, sends, recorded } = refusingServer((u) => u.jobId === 3);
      for (let i = 1; i <= 5; i++) reporter.add(finished(i, String(i)));
      await reporter.flush();
      expect(recorded.map((u) => u.jobId).sort()).toEqual([1, 2, 4, 5]);
      expect(sends.filter((b) => b.some((u) => u.jobId === 3)).length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(5)) + 2);
    });
  });
});
