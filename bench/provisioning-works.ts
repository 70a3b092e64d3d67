// Works on three kinds of queue, for bench/provisioning.ts: a warm local pilot, a local queue whose pilot
// the server starts on demand (cold), and a Slurm queue.
import { work, workflow } from "pando";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stampAfter = async (ms: number) => {
  const started = Date.now();
  await sleep(ms);
  return started;
};

const stamps = {
  warm: work({ name: "stampWarm", queue: "local" }, stampAfter),
  cold: work({ name: "stampCold", queue: "cold" }, stampAfter),
  slurm: work({ name: "stampSlurm", queue: "hpc" }, stampAfter),
};

/** Milliseconds from submitting a one-job task to its job starting. */
export const firstJob = workflow({ name: "firstJob" }, async (kind: keyof typeof stamps) => {
  const stamp = stamps[kind];
  if (kind === "warm") await stamp(0);
  const submitted = Date.now();
  const started = await stamp(0);
  return started - submitted;
});

/** Milliseconds for `n` jobs of `ms` each on the Slurm queue, from submission to the last result. */
export const slurmThroughput = workflow({ name: "slurmThroughput" }, async (n: number, ms: number) => {
  const submitted = Date.now();
  await stamps.slurm.map(Array.from({ length: n }, () => [ms] as [number]));
  return Date.now() - submitted;
});
