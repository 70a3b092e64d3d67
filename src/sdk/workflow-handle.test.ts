import { describe, expect, it } from "vitest";
import type { PandoClient } from "./client.js";
import { WorkflowHandle } from "./workflow-handle.js";

describe("WorkflowHandle", () => {
  it("gives the workflow's page in the web monitor and the server it runs on", () => {
    const handle = new WorkflowHandle(12, { serverUrl: "http://pando.example:8720" } as PandoClient);
    expect(handle.monitorUrl).toBe("http://pando.example:8720/#/workflows/12");
    expect(handle.serverUrl).toBe("http://pando.example:8720");
  });
});
