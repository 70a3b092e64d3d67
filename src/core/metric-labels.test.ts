import { describe, expect, it } from "vitest";
import { heldRequestKind, methodLabel, routeLabel, statusLabel, UNMATCHED_ROUTE } from "./metric-labels.js";

describe("metric labels", () => {
  const known = new Set(["/api/v1/tasks/:id", "/api/v1/health"]);

  it("labels a request by its route template, never by its raw URL", () => {
    expect(routeLabel("/api/v1/tasks/:id", known)).toBe("/api/v1/tasks/:id");
    // A path no route matched, or a template the server does not serve, counts under one value.
    expect(routeLabel(undefined, known)).toBe(UNMATCHED_ROUTE);
    expect(routeLabel("/api/v1/tasks/12345", known)).toBe(UNMATCHED_ROUTE);
    expect(routeLabel("/secret/user-chosen/path", known)).toBe(UNMATCHED_ROUTE);
  });

  it("takes methods and statuses from fixed sets", () => {
    expect(methodLabel("GET")).toBe("GET");
    expect(methodLabel("BREW")).toBe("OTHER");
    expect(statusLabel(200)).toBe("200");
    expect(statusLabel(599)).toBe("599");
    expect(statusLabel(0)).toBe("invalid");
    expect(statusLabel(1000)).toBe("invalid");
    expect(statusLabel(200.5)).toBe("invalid");
  });

  it("names each held request's kind from the endpoint, with one value for any other", () => {
    expect(heldRequestKind("acquire", false)).toEqual({ series: "long_polls", kind: "acquire" });
    expect(heldRequestKind("taskResults", false)).toEqual({ series: "long_polls", kind: "results" });
    expect(heldRequestKind("siteDemand", false)).toEqual({ series: "long_polls", kind: "demand" });
    expect(heldRequestKind("events", true)).toEqual({ series: "streams", kind: "events" });
    expect(heldRequestKind("somethingNew", true)).toEqual({ series: "streams", kind: "other" });
    expect(heldRequestKind("somethingNew", false)).toEqual({ series: "long_polls", kind: "other" });
  });
});
