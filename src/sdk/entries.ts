import { jobKeyOf } from "../codec/job-key.js";

/** One job of a work call: its arguments, the entry it came from and its key. */
export interface JobSpec {
  key: string;
  args: unknown[];
  entry: unknown;
}

/** A per-job entry of the iDDS form: an object merged into the options argument, or the arguments themselves. */
export type KwargsEntry = Record<string, unknown> | readonly unknown[];

export interface WithOptions<K extends KwargsEntry = KwargsEntry> {
  /** One job per entry (iDDS multi_jobs_kwargs_list). */
  multiJobsKwargsList?: readonly K[];
  /** Defaults for the options argument; the call's own options and each entry win over them. */
  preKwargs?: Record<string, unknown>;
  /** Explicit job key (single job); wins over the hash of the entry. */
  jobKey?: string;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Merges option objects into the trailing options argument (appended if the call has none), with the
 * precedence of iDDS: preKwargs < the call's own options < the per-job entry.
 */
function withOptions(
  args: readonly unknown[],
  pre: Record<string, unknown> | undefined,
  entry?: Record<string, unknown>,
): unknown[] {
  const out = [...args];
  const last = out[out.length - 1];
  const call = isPlainObject(last) ? (out.pop() as Record<string, unknown>) : undefined;
  if (call === undefined && pre === undefined && entry === undefined) return out;
  out.push({ ...pre, ...call, ...entry });
  return out;
}

export function singleJob(args: readonly unknown[], jobKey?: string): JobSpec[] {
  return [{ key: jobKey ?? jobKeyOf(args, "args"), args: [...args], entry: args }];
}

/**
 * Jobs of `map(list)`: one per argument tuple. Identical entries would share a key; in list mode they are
 * told apart by a suffix, while a MapResult (looked up by entry) needs them distinct.
 */
export function mapJobs(list: readonly unknown[], unique: boolean): JobSpec[] {
  const seen = new Map<string, number>();
  return list.map((entry, i) => {
    if (!Array.isArray(entry)) {
      throw new TypeError(
        `map() takes a list of argument tuples, but entry ${i} is ${entry === null ? "null" : typeof entry}; ` +
          `write map([[a1], [a2]]) for a one-argument function`,
      );
    }
    let key = jobKeyOf(entry, `entries[${i}]`);
    const first = seen.get(key);
    if (first !== undefined) {
      if (unique) {
        throw new TypeError(
          `map() entries ${first} and ${i} are identical, so a MapResult could not tell their jobs apart; ` +
            "make the entries distinct, or use list results (mapResults: false)",
        );
      }
      let n = 1;
      while (seen.has(`${key}#${n}`)) n++;
      key = `${key}#${n}`;
    }
    seen.set(key, i);
    return { key, args: [...entry], entry };
  });
}

/** Jobs of the iDDS form `w.with({ multiJobsKwargsList, preKwargs })(...args)`. */
export function kwargsJobs(args: readonly unknown[], opts: WithOptions): JobSpec[] {
  const list = opts.multiJobsKwargsList;
  if (list === undefined) return singleJob(withOptions(args, opts.preKwargs), opts.jobKey);
  if (list.length === 0) throw new TypeError("multiJobsKwargsList is empty; a task needs at least one job");
  const seen = new Map<string, number>();
  return list.map((entry, i) => {
    let jobArgs: unknown[];
    if (Array.isArray(entry)) jobArgs = [...(entry as unknown[])];
    else if (isPlainObject(entry)) jobArgs = withOptions(args, opts.preKwargs, entry);
    else {
      throw new TypeError(
        `multiJobsKwargsList[${i}] is ${entry === null ? "null" : typeof entry}; each entry must be an object ` +
          "(merged into the options argument) or an array (the positional arguments)",
      );
    }
    const key = jobKeyOf(entry, `multiJobsKwargsList[${i}]`);
    const first = seen.get(key);
    if (first !== undefined) {
      throw new TypeError(`multiJobsKwargsList entries ${first} and ${i} are identical; each job needs its own entry`);
    }
    seen.set(key, i);
    return { key, args: jobArgs, entry };
  });
}
