import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ReportRequest } from "../api/pilots.js";
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
});
