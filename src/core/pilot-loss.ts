// When a pilot counts as lost: silent for longer than its heartbeat timeout while the server was up to hear
// it. A pilot's heartbeats cannot arrive while the server is down, so after a restart every pilot gets a
// whole timeout to come back before the sweep fails its jobs (they would otherwise run twice: the pilot,
// still running them, reconnects a moment later and finds them retried elsewhere).

/**
 * The heartbeat time before which a pilot is lost, at `now`, for a queue whose timeout is `timeoutMs`, on a
 * server up since `upSince`; 0 (no pilot is lost) while the server has not been up for a whole timeout.
 */
export function lostBefore(now: number, timeoutMs: number, upSince: number): number {
  const cutoff = now - timeoutMs;
  return upSince <= cutoff ? cutoff : 0;
}
