import { jobKeyOf } from "../codec/job-key.js";
import type { JobError } from "./errors.js";
import { detailsOf, jobErrorOf, type JobDetails, type Outcome } from "./outcome.js";

/** A failed entry of a MapResult. */
export interface FailedEntry<E> {
  entry: E;
  key: string;
  error: JobError;
  details: JobDetails;
}

/**
 * The outcome of a task of many jobs, keyed like iDDS's MapResult by each job's key (the sha1 of its entry
 * as canonical JSON, or an explicit jobKey). Every job is here, successful or not, in input order.
 */
export class MapResult<E, R> {
  private readonly byKey = new Map<string, number>();

  constructor(
    readonly taskId: number | null,
    private readonly inputs: readonly E[],
    private readonly outcomes: readonly Outcome[],
  ) {
    outcomes.forEach((o, i) => this.byKey.set(o.key, i));
  }

  /** Number of jobs in the task. */
  get size(): number {
    return this.outcomes.length;
  }

  private find(entry: E): Outcome | undefined {
    const i = this.byKey.get(jobKeyOf(entry));
    return i === undefined ? undefined : this.outcomes[i];
  }

  /** The value of the job for this entry, or undefined if it failed (see details()). */
  get(entry: E): R | undefined {
    const o = this.find(entry);
    return o?.state === "finished" ? (o.value as R) : undefined;
  }

  /** Like get(), by job key (for explicit jobKey values). */
  getByKey(key: string): R | undefined {
    const i = this.byKey.get(key);
    const o = i === undefined ? undefined : this.outcomes[i];
    return o?.state === "finished" ? (o.value as R) : undefined;
  }

  /** Whether the job for this entry succeeded. */
  has(entry: E): boolean {
    return this.find(entry)?.state === "finished";
  }

  /** State, error, attempts, timing and placement of the job for this entry. */
  details(entry: E): JobDetails | undefined {
    const o = this.find(entry);
    return o ? detailsOf(o) : undefined;
  }

  /** Job keys of every job, in input order. */
  keys(): string[] {
    return this.outcomes.map((o) => o.key);
  }

  /** [entry, value] of every successful job, in input order. */
  entries(): Array<[E, R]> {
    const out: Array<[E, R]> = [];
    this.outcomes.forEach((o, i) => {
      if (o.state === "finished") out.push([this.inputs[i] as E, o.value as R]);
    });
    return out;
  }

  /** Values of every successful job, in input order. */
  values(): R[] {
    return this.outcomes.filter((o) => o.state === "finished").map((o) => o.value as R);
  }

  /** The jobs that did not succeed, with their errors. */
  get failed(): Array<FailedEntry<E>> {
    const out: Array<FailedEntry<E>> = [];
    this.outcomes.forEach((o, i) => {
      if (o.state !== "finished") {
        out.push({ entry: this.inputs[i] as E, key: o.key, error: jobErrorOf(o, this.taskId), details: detailsOf(o) });
      }
    });
    return out;
  }
}
