import { describe, expect, it } from "vitest";
import { href, parseRoute } from "./route.js";

describe("parseRoute", () => {
  it("reads the workflows listing from an empty or root fragment", () => {
    expect(parseRoute("")).toEqual({ page: "workflows" });
    expect(parseRoute("#")).toEqual({ page: "workflows" });
    expect(parseRoute("#/")).toEqual({ page: "workflows" });
  });

  it("reads pages with ids, with or without a trailing slash", () => {
    expect(parseRoute("#/workflows/12")).toEqual({ page: "workflow", id: 12 });
    expect(parseRoute("#/tasks/34/")).toEqual({ page: "task", id: 34 });
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
    expect(parseRoute(href.task(8))).toEqual({ page: "task", id: 8 });
    expect(parseRoute(href.job(9))).toEqual({ page: "job", id: 9 });
    expect(parseRoute(href.queues())).toEqual({ page: "queues" });
    expect(parseRoute(href.workflows())).toEqual({ page: "workflows" });
  });
});
