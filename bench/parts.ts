// The parts of `npm run bench`, in the order they run, and PANDO_BENCH_ONLY's choice among them.

/** Each part is bench/<name>.ts and writes bench/results/<name>.json. */
export const PARTS = [
  "run",
  "postgres",
  "cold-start",
  "hpo-shape",
  "async",
  "provisioning",
  "replicas",
  "monitor",
  "compare-commits",
  "tls",
  "multi-site",
  "optimize",
] as const;

/** The parts to run: all, or those named in `only` (comma-separated); an unknown name is an error. */
export function selectParts(only: string | undefined): string[] {
  if (only === undefined || only.trim() === "") return [...PARTS];
  const names = only.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(PARTS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new Error(`PANDO_BENCH_ONLY names no part called ${unknown.join(", ")}; the parts are: ${PARTS.join(", ")}`);
  }
  return PARTS.filter((p) => names.includes(p));
}
