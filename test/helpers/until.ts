import { sleep } from "../../src/core/sleep.js";

/**
 * Polls `probe` until it gives a value, or fails after the timeout naming what it waited for, with what
 * `explain` says of the state it was stuck in (what a failure in CI needs in order to be understood).
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
  explain?: () => Promise<string> | string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const state = explain ? `\n${await Promise.resolve().then(explain).catch((e: unknown) => `(could not say why: ${String(e)})`)}` : "";
      throw new Error(`timed out waiting for ${what}${state}`);
    }
    await sleep(50);
  }
}
