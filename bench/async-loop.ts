// An optimisation loop of 4 iterations × 8 evaluations with uneven durations, in two forms: blocking (each
// iteration waits for its slowest evaluation) and asynchronous (the next iteration starts once half of the
// current one has reported, with asCompleted). Both make the same 32 evaluations.
import { work, workflow, type JobDetails } from "pando";

const ITERATIONS = 4;
const POINTS = 8;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Durations from 200 ms to 2 s with a long tail, the same for both forms. */
function durationOf(iteration: number, index: number): number {
  const u = ((iteration * 7919 + index * 104729) % 1000) / 1000;
  return Math.round(200 + 1800 * u ** 3);
}

export const evaluate = work({ name: "evaluate" }, async (iteration: number, index: number, ms: number) => {
  await sleep(ms);
  return { iteration, index };
});

interface Measured {
  form: string;
  slots: number;
  evaluations: number;
  makespanMs: number;
  busyMs: number;
  idleSlotFraction: number;
}

const points = (iteration: number) =>
  Array.from({ length: POINTS }, (_, i) => [iteration, i, durationOf(iteration, i)] as [number, number, number]);

/** Starts an executor per slot before measuring, so cold starts count for neither form. */
async function warm(slots: number): Promise<void> {
  await evaluate.map(Array.from({ length: slots }, (_, i) => [-1, i, 300] as [number, number, number]));
}

function measured(form: string, slots: number, started: number, details: JobDetails[]): Measured {
  const makespanMs = Date.now() - started;
  const busyMs = details.reduce((s, d) => s + ((d.endedAt?.getTime() ?? 0) - (d.startedAt?.getTime() ?? 0)), 0);
  return { form, slots, evaluations: details.length, makespanMs, busyMs, idleSlotFraction: 1 - busyMs / (slots * makespanMs) };
}

export const blocking = workflow({ name: "blocking" }, async (slots: number): Promise<Measured> => {
  await warm(slots);
  const started = Date.now();
  const details: JobDetails[] = [];
  for (let it = 0; it < ITERATIONS; it++) {
    for await (const r of evaluate.map(points(it)).asCompleted()) details.push(r.details);
  }
  return measured("blocking", slots, started, details);
});

export const asynchronous = workflow({ name: "asynchronous" }, async (slots: number): Promise<Measured> => {
  await warm(slots);
  const started = Date.now();
  const details: JobDetails[] = [];
  const consume = async (it: number): Promise<void> => {
    let seen = 0;
    let next: Promise<void> | undefined;
    for await (const r of evaluate.map(points(it)).asCompleted()) {
      details.push(r.details);
      // Half of this iteration is enough to propose the next one.
      if (++seen === POINTS / 2 && it + 1 < ITERATIONS) next = consume(it + 1);
    }
    await next;
  };
  await consume(0);
  return measured("asynchronous", slots, started, details);
});
