import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { useSilentBroker } from "../bus/silent-broker.fixture.js";
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
    const using = reporter.useBroker(broker(), { id: 1, name: "pilot-1", queue: "default" });
    reporter.close();
    await using;
    await reporter.stop();
    expect((reporter as unknown as { publisher: unknown }).publisher).toBeUndefined();
  });
});
