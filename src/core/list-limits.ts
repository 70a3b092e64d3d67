// Maxima of the lists the API takes, shared by the server's schemas and the clients that fill the lists.
// Checked before any item is read, they also bound what a hostile body can make the server do.

/** Most jobs one task (one submission) may have. */
export const MAX_JOBS_PER_TASK = 100_000;

/**
 * Most tasks a driver lists as complete when it closes its workflow: its most recent ones, the only ones
 * the server may not have recorded yet.
 */
export const MAX_COMPLETE_TASKS = 100_000;
