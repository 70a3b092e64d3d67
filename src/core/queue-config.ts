// The queues file: every resource Pando can run jobs on, as named queues (PanDA's queue model). Pure
// validation here; the server loads the file and keeps the queues in its database.
import { z } from "../vendor/zod.js";
import { parseByteSize } from "../codec/limits.js";
import { QUEUE_STATUSES } from "./brokerage.js";
import { durationMs } from "./duration.js";
import { errorMessage } from "./errors.js";

const MIB = 1024 * 1024;

const duration = z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === "number") return v;
  const ms = durationMs(v);
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: `'${v}' is not a duration; write e.g. 90s, 30m or 2h, or milliseconds` });
    return z.NEVER;
  }
  return ms;
});

const memory = z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === "number") return v;
  if (/^\s*0\s*$/.test(v)) return 0;
  try {
    return Math.ceil(parseByteSize(v) / MIB);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: errorMessage(err) });
    return z.NEVER;
  }
});

const window = <T extends z.ZodTypeAny>(value: T) =>
  z
    .object({ min: value.optional(), max: value.optional() })
    .strict()
    .default({})
    .superRefine((w, ctx) => {
      const min = (w.min as number | undefined) ?? 0;
      const max = (w.max as number | undefined) ?? 0;
      if (max > 0 && min > max) ctx.addIssue({ code: "custom", message: "min must not be more than max" });
    });

/** Where a queue's pilots run: child processes of the server's host, or batch jobs of a Slurm cluster. */
export const QUEUE_BACKENDS = ["local", "slurm"] as const;
export type QueueBackend = (typeof QUEUE_BACKENDS)[number];

export const queueDefinitionSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[\w.:@/-]+$/, "may contain only letters, digits and _ . : @ / -"),
    backend: z.enum(QUEUE_BACKENDS).default("local"),
    status: z.enum(QUEUE_STATUSES).default("online"),
    /** Cores a job may use; a task needing more goes to another queue. */
    cores: z.number().int().min(1).max(4096).default(1),
    /** Memory per job: MiB as a number, or a size such as "4GiB"; 0 or absent: no limit. */
    memory: window(memory),
    /** Walltime per job: milliseconds, or "30m", "2h"; 0 or absent: no limit. */
    walltime: window(duration),
    /** Most pilots the provisioner keeps on this queue; 0: it starts none (pilots are started by hand). */
    maxPilots: z.number().int().min(0).max(10_000).default(0),
    /** Jobs one pilot runs at once. */
    slotsPerPilot: z.number().int().min(1).max(4096).default(1),
    /** A pilot with nothing to do for this long exits. */
    pilotIdle: duration.default(60_000),
    /** Silence after which a pilot of this queue is lost; default the server's heartbeat timeout. */
    heartbeatTimeout: duration.optional(),
    /**
     * The program and first arguments that run `pando` on the nodes of this queue's pilots (e.g.
     * ["/opt/node/bin/node", "/opt/pando/dist/cli/main.js"]); default the Node and Pando of the process
     * that starts them (the server, or a site agent).
     */
    pilotCommand: z.array(z.string().min(1).max(4096)).min(1).max(32).optional(),
    slurm: z
      .object({
        partition: z.string().min(1).optional(),
        account: z.string().min(1).optional(),
        /** More sbatch flags, one per entry ("--qos=normal"). */
        extraArgs: z.array(z.string().regex(/^--?[\w-]+(=.*)?$/, "must be an sbatch flag such as --qos=normal")).default([]),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((q, ctx) => {
    if (q.slurm && q.backend !== "slurm") {
      ctx.addIssue({ code: "custom", path: ["slurm"], message: `applies to slurm queues only; '${q.name}' is ${q.backend}` });
    }
  });

export type QueueDefinition = z.output<typeof queueDefinitionSchema>;

export const queuesFileSchema = z
  .object({ queues: z.array(queueDefinitionSchema).min(1, "declare at least one queue") })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.queues.forEach((q, i) => {
      if (seen.has(q.name)) ctx.addIssue({ code: "custom", path: ["queues", i, "name"], message: `'${q.name}' is declared twice` });
      seen.add(q.name);
    });
  });

/** A queue with every default filled in: what a plain `local` queue is when no file declares it. */
export function defaultQueue(name: string): QueueDefinition {
  return queueDefinitionSchema.parse({ name });
}

/** Parses a queues file's JSON text; the error names the file, the field and what is wrong. */
export function parseQueuesFile(text: string, source: string): QueueDefinition[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source} is not valid JSON: ${errorMessage(err)}`, { cause: err });
  }
  const parsed = queuesFileSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(file)"}: ${i.message}`);
    throw new Error(`${source} is not a valid queues file:\n  ${issues.join("\n  ")}`);
  }
  return parsed.data.queues;
}
