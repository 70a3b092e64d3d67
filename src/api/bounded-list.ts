// A list in a request whose items are checked one by one, stopping at the first few bad ones.
// Written here because zod's z.array checks every item and keeps an issue for each bad one (about 550
// bytes apiece): a 300 KB body of 100,000 bad jobs cost 120 MB and 0.4 s to refuse, and zod has no option
// to stop early. The length is checked first, as z.array does, so the work is bounded by the maximum too.
import { z } from "../vendor/zod.js";

/** Problems an error message lists; the rest are counted ("and 41 more problems"). */
export const LISTED_PROBLEMS = 5;

/** The issue a bounded list adds when it stops checking: the message says that more may be wrong. */
export const STOPPED_EARLY = "pando_stopped_early";

export interface ListBounds {
  min?: number;
  max: number;
  /** Says what to do when there are too many, e.g. "split the call into several tasks". */
  maxMessage?: string;
  minMessage?: string;
}

/**
 * `z.array(item)` with `bounds`, for the inputs and outputs of `item`, that gives up after
 * LISTED_PROBLEMS problems in its items. The OpenAPI document describes it as the array it is.
 */
export function boundedList<T extends z.ZodType>(item: T, bounds: ListBounds): z.ZodType<z.output<T>[], z.input<T>[]> {
  let outer = z.array(z.unknown()).max(bounds.max, bounds.maxMessage);
  if (bounds.min !== undefined) outer = outer.min(bounds.min, bounds.minMessage);
  const checked = outer.transform((items, ctx) => {
    const out: z.output<T>[] = [];
    let problems = 0;
    for (let i = 0; i < items.length; i++) {
      const result = item.safeParse(items[i]);
      if (result.success) {
        out.push(result.data);
        continue;
      }
      for (const issue of result.error.issues) {
        if (problems === LISTED_PROBLEMS) {
          ctx.issues.push({ code: "custom", input: items, message: "more items may be wrong", params: { [STOPPED_EARLY]: true } });
          return z.NEVER;
        }
        ctx.issues.push({ ...issue, input: items[i], path: [i, ...issue.path] } as z.core.$ZodRawIssue);
        problems++;
      }
    }
    return problems === 0 ? out : z.NEVER;
  });
  const plain = bounds.min === undefined ? z.array(item).max(bounds.max) : z.array(item).min(bounds.min).max(bounds.max);
  PLAIN_LISTS.set(checked, plain);
  return checked as unknown as z.ZodType<z.output<T>[], z.input<T>[]>;
}

/** Each bounded list's plain z.array: what the OpenAPI document describes, as the transform alone would hide the items. */
export const PLAIN_LISTS = new WeakMap<z.core.$ZodType, z.ZodType>();

