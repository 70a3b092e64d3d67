/**
 * Since when this server can hear heartbeats of pilots, sites and drivers: from the moment it listens, not
 * from the moment its services were built. Connecting to the broker or the database can take seconds at
 * start-up, and a pilot cannot be heard during them (core/pilot-loss.ts).
 */
export class HeardSince {
  private since: number | undefined;

  /** The server listens now: heartbeats can come from here on. */
  listening(at = Date.now()): void {
    this.since ??= at;
  }

  /** When the server started listening; before it does, `now` (no heartbeat could have come yet). */
  at(now: number): number {
    return this.since ?? now;
  }
}
