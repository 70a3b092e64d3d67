import type { Logger } from "pino";
import { errorMessage } from "../core/errors.js";
import { sleep } from "../core/sleep.js";

export interface RegistrationOptions {
  /** Registers with the server; the pilot's id changes when it resolves. */
  register(): Promise<void>;
  /** The id of the current registration. */
  id(): number;
  /** Drops what the ended registration held (its jobs, its ledger, its reports). */
  drop(): void;
  log: Logger;
  /** After a registration that failed, how long to wait before the request that retries it. */
  retryMs?: number;
}

/**
 * Registering again after the server declared the pilot ended. Every request in flight then hears it at
 * once (a heartbeat, a report, the long-poll), and a request sent before the new registration may hear it
 * after: the pilot registers once per registration that ended, never once per request. Registrations racing
 * each other would each make a pilot on the server, all but one left without heartbeats and declared lost
 * in their turn, whose requests hear "ended" again: a storm that a loaded host may never leave.
 */
export class Registration {
  private again: Promise<void> | undefined;

  constructor(private readonly o: RegistrationOptions) {}

  /** A request made as pilot `endedId` heard that it was declared ended: resolves once registered again. */
  ended(endedId: number): Promise<void> {
    if (this.again) return this.again;
    if (endedId !== this.o.id()) return Promise.resolve();
    this.o.log.warn("the server declared this pilot ended; dropping its jobs and registering again");
    this.o.drop();
    this.again = this.o.register().then(
      () => {
        this.again = undefined;
      },
      async (err: unknown) => {
        // Left for the next request, which hears "ended" again (the id is unchanged) and retries.
        this.o.log.warn({ err: errorMessage(err) }, "could not register again; retrying");
        await sleep(this.o.retryMs ?? 1000);
        this.again = undefined;
      },
    );
    return this.again;
  }
}
