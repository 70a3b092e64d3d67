import { attemptKey } from "./attempt-key.js";
import type { AttemptRef, PilotCommand } from "./dispatch-records.js";

/** What the server counts as held by a pilot: its attempts, when each was sent, and its kill orders. */
export interface HeldAttempts {
  refs: ReadonlyArray<AttemptRef & { sentAt: number }>;
  commands: readonly PilotCommand[];
}

/** A heartbeat checked against what the server counts as held. */
export interface HeartbeatCheck {
  /** Sent to the pilot before `sentBefore`, and not among what it says it holds: lost in dispatch. */
  missing: AttemptRef[];
  /** What the pilot is told it holds, and its orders: the held ones without the missing. */
  held: AttemptRef[];
  commands: PilotCommand[];
}

/**
 * Before when an attempt must have been sent for a heartbeat that does not list it to make it lost: the grace
 * for a job on its way (`graceMs`), and, when the pilot says which acquire answer it had taken last (`asOf`),
 * not after that answer. A heartbeat built before an answer and delayed past the grace (a loaded host, a slow
 * link) must not fail the answer's jobs.
 */
export function lostIfSentBefore(now: number, graceMs: number, asOf: number | undefined): number {
  // An answer stamped `asOf` carried every job sent up to and including that millisecond.
  return asOf === undefined ? now - graceMs : Math.min(now - graceMs, asOf + 1);
}

/**
 * Compares the attempts a pilot says it holds (`reported`) with those the server counts as held by it, from
 * one read: an attempt sent before `sentBefore` that the pilot does not hold never reached it, or was
 * dropped, and is retried; the rest is the heartbeat's answer.
 */
export function checkHeartbeat(held: HeldAttempts, reported: readonly AttemptRef[], sentBefore: number): HeartbeatCheck {
  const holds = new Set(reported.map(attemptKey));
  const missing = new Set<string>();
  for (const a of held.refs) if (!holds.has(attemptKey(a)) && a.sentAt < sentBefore) missing.add(attemptKey(a));
  const kept = held.refs.filter((a) => !missing.has(attemptKey(a)));
  return {
    missing: held.refs.filter((a) => missing.has(attemptKey(a))).map(({ jobId, attempt }) => ({ jobId, attempt })),
    held: kept.map(({ jobId, attempt }) => ({ jobId, attempt })),
    commands: held.commands.filter((c) => c.kind !== "kill" || !missing.has(attemptKey(c))),
  };
}
