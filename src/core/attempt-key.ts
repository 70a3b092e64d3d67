// The key of one attempt of one job, for sets and maps of attempts (held, moving, recorded).

/** `jobId:attempt`: distinct for distinct attempts, as a job's attempts are numbered from 1. */
export function attemptKey(ref: { readonly jobId: number; readonly attempt: number }): string {
  return `${ref.jobId}:${ref.attempt}`;
}
