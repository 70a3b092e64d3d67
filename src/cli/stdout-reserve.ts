/** stdout kept for one writer: what anyone else writes there goes to stderr instead. */
export interface ReservedStdout {
  /** Writes to the real stdout. */
  write(text: string): void;
  /** Gives stdout back to everyone. */
  restore(): void;
}

/**
 * Keeps stdout for the caller's output alone (`pando run --json`: only the JSON, for `| jq` and scripts):
 * the driver's console.log, and any other write to stdout in this process, go to stderr until restored.
 */
export function reserveStdout(stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr): ReservedStdout {
  const original = stdout.write;
  const toStdout = original.bind(stdout);
  stdout.write = ((...args: Parameters<typeof stdout.write>) => (stderr.write as (...a: unknown[]) => boolean)(...args)) as typeof stdout.write;
  return {
    write: (text) => void toStdout(text),
    restore: () => {
      stdout.write = original;
    },
  };
}
