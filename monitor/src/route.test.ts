import { describe, expect, it } from "vitest";
import { ALL_JOBS, href, jobsViewQuery, parseJobsView, parseRoute } from "./route.js";

describe("parseRoute", () => {
  it("reads the workflows listing from an empty or root fragment", () => {
    expect(parseRoute("")).toEqual({ page: "workflows" });
    expect(parseRoute("#")).toEqual({ page: "workflows" });
    expect(parseRoute("#/")).toEqual({ page: "workflows" });
  });

  it("reads pages with ids, with or without a trailing slash", () => {
    expect(parseRoute("#/workflows/12")).toEqual({ page: "workflow", id: 12 });
    expect(parseRoute("#/tasks/34/")).toEqual({ page: "task", id: 34, jobs: ALL_JOBS });
    expect(parseRoute("#/jobs/56")).toEqual({ page: "job", id: 56 });
    expect(parseRoute("#/queues")).toEqual({ page: "queues" });
  });

  it("calls anything else unknown, ids of zero or letters too", () => {
    expect(parseRoute("#/workflows/0")).toEqual({ page: "unknown", path: "/workflows/0" });
    expect(parseRoute("#/jobs/abc")).toEqual({ page: "unknown", path: "/jobs/abc" });
    expect(parseRoute("#/nowhere")).toEqual({ page: "unknown", path: "/nowhere" });
  });

  it("reads back every link it makes", () => {
    expect(parseRoute(href.workflow(7))).toEqual({ page: "workflow", id: 7 });
    expect(parseRoute(href.task(8))).toEqual({ page: "task", id: 8, jobs: ALL_JOBS });
    expect(parseRoute(href.job(9))).toEqual({ page: "job", id: 9 });
    expect(parseRoute(href.queues())).toEqual({ page: "queues" });
    expect(parseRoute(href.workflows())).toEqual({ page: "workflows" });
  });
});

describe("a task page's jobs view in the fragment", () => {
  it("carries the state filter, the chosen columns and the order, and reads them back", () => {
    const view = { states: "finished", columns: ["job:index", "arg:a,b", "result:auc"], sort: { column: "result:auc", descending: true } };
    expect(jobsViewQuery(view)).toBe("?state=finished&cols=job%3Aindex,arg%3Aa%2Cb,result%3Aauc&sort=-result%3Aauc");
    expect(parseRoute(href.task(3, view))).toEqual({ page: "task", id: 3, jobs: view });
    expect(parseRoute(href.task(3, { ...view, columns: [] }))).toMatchObject({ jobs: { columns: [] } });
  });

  it("makes no query for the default view, and takes a malformed one as the default", () => {
    expect(href.task(3)).toBe("#/tasks/3");
    expect(parseJobsView("state=<x>&sort=")).toEqual(ALL_JOBS);
    expect(parseJobsView("cols=%E0%A4%A")).toEqual({ ...ALL_JOBS, columns: ["%E0%A4%A"] });
  });
});
