import { describe, expect, it } from "vitest";
import { ROUTES, type EndpointName } from "../api/routes.js";
import { handlers } from "./handlers.js";
import type { Services } from "./services.js";

describe("handlers", () => {
  it("hear that their caller went away exactly on the endpoints the route table says wait", () => {
    // Binding reads each service once; no method is called here.
    const services = new Proxy({}, { get: () => ({}) }) as unknown as Services;
    const bound = handlers(services);
    const takesSignal = (Object.keys(ROUTES) as EndpointName[]).filter((name) => bound[name].length >= 3).sort();
    const waits = (Object.keys(ROUTES) as EndpointName[]).filter((name) => (ROUTES[name] as { waits?: true }).waits === true).sort();
    expect(takesSignal).toEqual(waits);
    expect(waits).toEqual(["acquire", "driverHeartbeat", "events", "getWorkflow", "siteDemand", "taskResults"]);
  });
});
