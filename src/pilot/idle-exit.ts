/**
 * Calls `leave` once `busy()` has been false for `idleMs` (a provisioned pilot that holds nothing frees its
 * slot), looking a few times per period. Returns the timer, to be cleared when the pilot stops.
 */
export function leaveWhenIdle(idleMs: number, busy: () => boolean, leave: () => void): NodeJS.Timeout {
  let busyAt = Date.now();
  return setInterval(
    () => {
      if (busy()) busyAt = Date.now();
      else if (Date.now() - busyAt >= idleMs) leave();
    },
    Math.min(1000, Math.max(50, idleMs / 4)),
  );
}
