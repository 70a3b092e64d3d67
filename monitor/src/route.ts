// Where the monitor is: its pages live in the URL's fragment (#/workflows/12), so the server serves one file.
// A task page's job filters, chosen columns and order follow the path as a query (#/tasks/3?state=finished),
// so that they survive a reload and travel in a shared link.

/** What a task page's jobs tables show: the states filtered on, the columns chosen (null: all) and the order. */
export interface JobsView {
  /** Comma-separated job states; "" for all. */
  states: string;
  columns: string[] | null;
  sort: { column: string; descending: boolean } | null;
}

export const ALL_JOBS: JobsView = { states: "", columns: null, sort: null };

export type Route =
  | { page: "workflows" }
  | { page: "workflow"; id: number }
  | { page: "task"; id: number; jobs: JobsView }
  | { page: "job"; id: number }
  | { page: "queues" }
  | { page: "unknown"; path: string };

const PAGE_OF_SEGMENT = { workflows: "workflow", tasks: "task", jobs: "job" } as const;

/** The raw (still encoded) values of a query's parameters: a list is split on its plain commas before decoding. */
function rawParams(query: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of query.split("&")) {
    const eq = part.indexOf("=");
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A task page's view from its fragment's query; anything missing or malformed means "all". */
export function parseJobsView(query: string): JobsView {
  const params = rawParams(query);
  const states = decoded(params.get("state") ?? "");
  const cols = params.get("cols");
  const sort = decoded(params.get("sort") ?? "");
  return {
    states: /^[a-z,]*$/.test(states) ? states : "",
    columns: cols === undefined ? null : cols === "" ? [] : cols.split(",").map(decoded),
    sort: sort ? { column: sort.replace(/^-/, ""), descending: sort.startsWith("-") } : null,
  };
}

/** The fragment's query of a task page's view; "" for the default (all jobs, all columns, job order). */
export function jobsViewQuery(view: JobsView): string {
  const params: string[] = [];
  if (view.states) params.push(`state=${encodeURIComponent(view.states)}`);
  // A column key may hold a comma: each is encoded on its own, and the list joined with plain commas.
  if (view.columns !== null) params.push(`cols=${view.columns.map(encodeURIComponent).join(",")}`);
  if (view.sort) params.push(`sort=${view.sort.descending ? "-" : ""}${encodeURIComponent(view.sort.column)}`);
  return params.length === 0 ? "" : `?${params.join("&")}`;
}

/** The page a location fragment names; anything unrecognised is an "unknown" page that says so. */
export function parseRoute(hash: string): Route {
  const [rawPath = "", query = ""] = hash.replace(/^#/, "").split(/\?(.*)/s);
  const path = rawPath.replace(/\/+$/, "");
  if (path === "" || path === "/") return { page: "workflows" };
  if (path === "/queues") return { page: "queues" };
  const match = /^\/(workflows|tasks|jobs)\/([1-9]\d{0,14})$/.exec(path);
  if (!match) return { page: "unknown", path };
  const page = PAGE_OF_SEGMENT[match[1] as keyof typeof PAGE_OF_SEGMENT];
  const id = Number(match[2]);
  return page === "task" ? { page, id, jobs: parseJobsView(query) } : { page, id };
}

export const href = {
  workflows: () => "#/",
  workflow: (id: number) => `#/workflows/${id}`,
  task: (id: number, jobs: JobsView = ALL_JOBS) => `#/tasks/${id}${jobsViewQuery(jobs)}`,
  job: (id: number) => `#/jobs/${id}`,
  queues: () => "#/queues",
};
