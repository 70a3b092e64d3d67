// Schemas shared by the resources of the API: names, ids, path parameters, errors, listings.
import { z } from "../vendor/zod.js";
import { ERROR_CODES, type ErrorCode, type ErrorInfo } from "../core/errors.js";
import { OBJECTIVE_DIRECTIONS } from "../core/objective.js";

/** Views with a name: the OpenAPI document describes each once, as a component the endpoints refer to. */
export const namedViews = new Map<z.ZodType, string>();

export function named<T extends z.ZodType>(id: string, schema: T): T {
  namedViews.set(schema, id);
  return schema;
}

/** Names of workflows, queues, works and users. */
export const name = z
  .string()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters")
  .regex(/^[\w.:@/-]+$/, "may contain only letters, digits and _ . : @ / -");

export const id = z.number().int().positive();

/** A site's name: its queues are addressed as `<site>/<queue>`, so it holds no `/`. */
export const siteName = z
  .string()
  .min(1, "must not be empty")
  .max(100, "must be at most 100 characters")
  .regex(/^[\w.-]+$/, "may contain only letters, digits and _ . -");

/** The largest value of a 32-bit integer column (PostgreSQL's `integer`): counts, indexes, attempts, pids. */
export const MAX_INT32 = 2 ** 31 - 1;

/**
 * Text that names or identifies something (a token's, a pilot's or a step's name, a job's key): any
 * characters but NUL, which no name needs and PostgreSQL's text cannot hold. (Values — arguments, results,
 * logs — keep their NULs: the store keeps them exactly.)
 */
export function label(max: number) {
  return withoutNul(z.string().min(1, "must not be empty").max(max, `must be at most ${max} characters`));
}

/** The text refused with a 400 if it has a NUL character (see label). */
export function withoutNul(text: z.ZodString): z.ZodString {
  return text.regex(/^[^\0]*$/, "must not contain NUL characters (\\u0000)");
}

/** A moment, in milliseconds since the epoch. */
export const time = z.number().int();

/** A work's declared objective: the result field it names and whether lower or higher is better. */
export const declaredObjective = named(
  "DeclaredObjective",
  z.object({
    name: label(200),
    direction: z.enum(OBJECTIVE_DIRECTIONS, { error: 'must be "minimize" or "maximize"' }),
  }),
);

export const bundleHash = z.string().regex(/^[0-9a-f]{64}$/, "must be a sha256 hex digest");

const errorCode = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);

export const errorInfo = named(
  "ErrorInfo",
  z.object({
    code: errorCode,
    message: z.string(),
    name: z.string().optional(),
    stack: z.string().optional(),
    exitCode: z.number().int().optional(),
    signal: z.string().optional(),
      nonRetryable: z.string().max(1000).optional(),
    }) satisfies z.ZodType<ErrorInfo>,
  );

  /** The error of a workflow whose body threw: what the driver caught, without an attempt's error code. */
  export const bodyError = errorInfo.omit({ code: true });

  /**
   * A positive integer id from the path. Its problems are answered as `invalid_id` with this message alone
   * (endpoint-input.ts), as they always were.
   */
  export function idParam(what: string) {
    return z.string().transform((raw, ctx) => {
      const n = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
      if (Number.isSafeInteger(n) && n > 0) return n;
      ctx.addIssue({ code: "custom", message: `'${raw}' is not a valid ${what} id (a positive integer)` });
      return z.NEVER;
    });
  }

  /** A position (0, 1, 2…) from the path. */
  export function seqParam(what: string) {
    return z.string().transform((raw, ctx) => {
      if (/^\d{1,9}$/.test(raw)) return Number(raw);
      ctx.addIssue({ code: "custom", message: `'${raw}' is not a valid ${what} number (0 or a positive integer)` });
      return z.NEVER;
    });
  }

  /** Path parameters `:id` of the resource named `what`. */
  export const idParams = (what: string) => z.object({ id: idParam(what) });

  /** A number in a query string (its text coerced), typed as a number for callers. */
  export const queryNumber = () => z.coerce.number<number>().int();

  /** `fields=id,name`: only these fields of each listed item. */
  export const fieldList = z
    .string()
    .regex(/^[A-Za-z]+(,[A-Za-z]+)*$/, "must be a comma-separated list of field names, e.g. id,name,status")
    .transform((s) => s.split(","))
    .optional();

  /** A comma-separated list of values of `values` in a query string. */
  export const queryList = <T extends readonly [string, ...string[]]>(values: T) =>
    z
      .string()
      .transform((s) => s.split(","))
      .pipe(z.array(z.enum(values)));

  /** Listings answer a page and the cursor of the next one (null on the last page). */
  export const page = <K extends string, T extends z.ZodType>(key: K, item: T) =>
    z.object({ [key]: z.array(item), next: z.number().int().nullable() } as { [P in K]: z.ZodArray<T> } & { next: z.ZodNullable<z.ZodNumber> });

  /** `{retried}`: jobs sent back to their queue by a retry. */
  export const retried = z.object({ retried: z.number().int() });
