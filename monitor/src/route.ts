// Where the monitor is: its pages live in the URL's fragment (#/workflows/12), so the server serves one file.

export type Route =
  | { page: "workflows" }
  | { page: "workflow"; id: number }
  | { page: "task"; id: number }
  | { page: "job"; id: number }
  | { page: "queues" }
  | { page: "unknown"; path: string };

const PAGE_OF_SEGMENT = { workflows: "workflow", tasks: "task", jobs: "job" } as const;

/** The page a location fragment names; anything unrecognised is an "unknown" page that says so. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "").replace(/\/+$/, "");
  if (path === "" || path === "/") return { page: "workflows" };
  if (path === "/queues") return { page: "queues" };
  const match = /^\/(workflows|tasks|jobs)\/([1-9]\d{0,14})$/.exec(path);
  if (match) return { page: PAGE_OF_SEGMENT[match[1] as keyof typeof PAGE_OF_SEGMENT], id: Number(match[2]) };
  return { page: "unknown", path };
}

export const href = {
  workflows: () => "#/",
  workflow: (id: number) => `#/workflows/${id}`,
  task: (id: number) => `#/tasks/${id}`,
  job: (id: number) => `#/jobs/${id}`,
  queues: () => "#/queues",
};
