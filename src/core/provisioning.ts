// How many pilots a queue should get, after Harvester's "pilots in proportion to queued jobs".

export interface QueueDemand {
  /** Jobs of the queue waiting for a pilot. */
  queued: number;
  maxPilots: number;
  slotsPerPilot: number;
  /** Workers alive: started and not ended. */
  live: number;
  /** Of those, started but whose pilot has not registered yet (still starting, or pending in the batch queue). */
  starting: number;
}

/**
 * Pilots to start now: enough for the queued jobs not covered by pilots already starting, within the
 * queue's limit; and starting workers to cancel when nothing waits for them any more.
 */
export function provisioningPlan(d: QueueDemand): { start: number; cancelStarting: number } {
  const needed = Math.ceil(d.queued / d.slotsPerPilot);
  const start = Math.max(0, Math.min(d.maxPilots - d.live, needed - d.starting));
  const cancelStarting = d.queued === 0 ? d.starting : Math.max(0, d.starting - needed);
  return { start, cancelStarting };
}
