// Reads the server's /metrics answer (the Prometheus text exposition format) as a scraper would.
import { pathOf, ROUTES } from "../../src/api/routes.js";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/g;

const unescape = (v: string) => v.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));

/** Every sample of an exposition; a line that is neither a comment nor a sample throws, naming it. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`not a sample line of the Prometheus text format: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(LABEL)) labels[l[1]!] = unescape(l[2]!);
    const value = m[3] === "+Inf" ? Infinity : m[3] === "-Inf" ? -Infinity : Number(m[3]);
    samples.push({ name: m[1]!, labels, value });
  }
  return samples;
}

/** One scrape: the samples, and sums over those of a name that have the labels given. */
export class Scrape {
  constructor(readonly samples: readonly Sample[]) {}

  /** The samples of `name` whose labels include `labels`. */
  series(name: string, labels: Record<string, string> = {}): Sample[] {
    return this.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  }

  /** The sum of those samples: 0 when there are none (a counter not counted yet). */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.series(name, labels).reduce((n, s) => n + s.value, 0);
  }
}

/** Scrapes a server with `call` (the test's own request function), failing on anything but a 200 in the text format. */
export async function scrape(api: (method: string, path: string) => Promise<{ status: number; body: unknown }>): Promise<Scrape> {
  const answer = await api("GET", pathOf(ROUTES.metrics));
  if (answer.status !== 200 || typeof answer.body !== "string") {
    throw new Error(`GET /metrics answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
  }
  return new Scrape(parseExposition(answer.body));
}
