/** What presence needs of the bus: count the other replicas, say hello to them, warn. */
export interface PresencePort {
  /** Listening connections of the other replicas on the database; null when they cannot be counted. */
  countOthers(): Promise<number | null>;
  hello(): Promise<void>;
  warn(message: string): void;
}

/**
 * Whether any other server replica listens on the database, so that a replica alone sends no NOTIFY (each is
 * a commit). It must never be wrong in the direction that loses a wake-up:
 * - a replica starting counts the others (their listening connections) once its own LISTEN is in place; if
 *   there are any, it says hello and does not serve before each of them answered, and each answers only after
 *   it has noted the newcomer: from then on they relay every wake-up to it. A wake-up one of them dropped
 *   before that was caused by a commit made before the newcomer served its first request, which then reads it.
 * - the others are counted again now and then, to notice they left; a count that started before a hello or
 *   a wake-up from another replica arrived is stale and never turns relaying off.
 * Unknown (a count failed, the listening connection is down) counts as "others are there".
 */
export class ReplicaPresence {
  private alive = true;
  /** Bumped whenever another replica is heard from. */
  private heardGeneration = 0;
  private timer: NodeJS.Timeout | undefined;
  private waitingAcks: { expected: number; from: Set<string>; done: () => void } | undefined;

  constructor(
    private readonly port: PresencePort,
    private readonly options: { checkEveryMs: number; helloWaitMs: number },
  ) {}

  get othersAlive(): boolean {
    return this.alive;
  }

  /** This replica's LISTEN is in place: learn who else is there, and make sure they know of this one. */
  async arrive(): Promise<void> {
    this.timer ??= setInterval(() => void this.recount(), this.options.checkEveryMs).unref();
    const generation = this.heardGeneration;
    const others = await this.port.countOthers();
    if (others === 0) {
      if (generation === this.heardGeneration) this.alive = false;
      return;
    }
    this.alive = true;
    if (others === null) return;
    const acked = new Promise<void>((resolve) => {
      const timeout = setTimeout(() => {
        const answered = this.waitingAcks?.from.size ?? 0;
        this.waitingAcks = undefined;
        this.port.warn(
          `${others} other server replica(s) listen on the database but ${others - answered} did not answer within ` +
            `${this.options.helloWaitMs} ms; serving anyway (they notice this replica on their next count)`,
        );
        resolve();
      }, this.options.helloWaitMs);
      this.waitingAcks = {
        expected: others,
        from: new Set(),
        done: () => {
          clearTimeout(timeout);
          this.waitingAcks = undefined;
          resolve();
        },
      };
    });
    await this.port.hello();
    await acked;
  }

  /** Another replica spoke (a hello, an answer, wake-ups): it is there. */
  heard(): void {
    this.heardGeneration++;
    this.alive = true;
  }

  /** Another replica answered this one's hello: it relays wake-ups here from now on. */
  acknowledged(replica: string): void {
    const waiting = this.waitingAcks;
    if (!waiting) return;
    waiting.from.add(replica);
    if (waiting.from.size >= waiting.expected) waiting.done();
  }

  /** The listening connection is down: nothing is known until it is back. */
  lost(): void {
    this.alive = true;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.waitingAcks?.done();
  }

  private async recount(): Promise<void> {
    const generation = this.heardGeneration;
    const others = await this.port.countOthers();
    if (others === null || others > 0) this.alive = true;
    else if (generation === this.heardGeneration) this.alive = false;
  }
}
