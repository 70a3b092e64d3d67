import { handOut, type Demand } from "../core/hand-out.js";
import type { Subscription } from "./notifier.js";
import { Topics, type EventHub } from "./events.js";

/** Nothing of any task for a pilot that holds `held`. */
const isFull = (demand: Demand, held: number): boolean => {
  const room = handOut(demand, held);
  return room.any + room.prefetch === 0;
};

/**
 * Pilots that an acquire's answer left full, with what they then held. A pilot keeps a long-poll open even
 * when full, so it asks again the moment an answer reaches it; counting what it holds then reads again what
 * the answer has just told. What a pilot holds changes only by its reports, its kills, a hand-off to it and
 * its end, and each of these wakes its topic (EventHub.pilotWoken, on every replica through ReplicaBus), or
 * forgets it here. So the count is kept with a subscription to that topic, started before the count was read:
 * if the topic fired since, the count is dropped and read again.
 */
export class FullPilots {
  private readonly kept = new Map<number, { held: number; since: Subscription }>();

  constructor(private readonly events: Pick<EventHub, "subscribe">) {}

  /** Starts listening for what would change a pilot's holdings: before they are read. */
  watch(pilotId: number): Subscription {
    return this.events.subscribe([Topics.pilot(pilotId)]);
  }

  /** An answer left the pilot holding `held`: kept with `since` if that fills it, else `since` is closed. */
  answered(pilotId: number, demand: Demand, held: number, since: Subscription): void {
    this.forget(pilotId);
    if (!isFull(demand, held)) return since.close();
    this.kept.set(pilotId, { held, since });
  }

  /**
   * What the pilot held when an answer left it full, if nothing that changes it happened since and it is still
   * full by `demand`; taken once.
   */
  async take(pilotId: number, demand: Demand): Promise<number | undefined> {
    const kept = this.kept.get(pilotId);
    if (!kept) return undefined;
    this.kept.delete(pilotId);
    const changed = await kept.since.wait(0);
    kept.since.close();
    return changed || !isFull(demand, kept.held) ? undefined : kept.held;
  }

  forget(pilotId: number): void {
    this.kept.get(pilotId)?.since.close();
    this.kept.delete(pilotId);
  }
}
