import { describe, expect, it } from "vitest";
import { hasEnded, statusTone } from "./status.js";

describe("statusTone", () => {
  it("tells a task that finished with failures from a workflow or job that finished well", () => {
    expect(statusTone("task", "finished")).toBe("partial");
    expect(statusTone("task", "done")).toBe("ok");
    expect(statusTone("workflow", "finished")).toBe("ok");
    expect(statusTone("workflow", "subfinished")).toBe("partial");
    expect(statusTone("job", "finished")).toBe("ok");
  });
  it("colours failures, running work and stops", () => {
    expect(statusTone("job", "failed")).toBe("bad");
    expect(statusTone("job", "running")).toBe("active");
    expect(statusTone("workflow", "cancelled")).toBe("stopped");
    expect(statusTone("pilot", "lost")).toBe("bad");
    expect(statusTone("queue", "online")).toBe("ok");
  });
  it("treats a status it does not know as waiting", () => {
    expect(statusTone("job", "mystery")).toBe("waiting");
  });
  it("shows a suspended workflow as waiting, not ended", () => {
    expect(statusTone("workflow", "suspended")).toBe("waiting");
    expect(hasEnded("suspended")).toBe(false);
  });
  it("knows which statuses are final", () => {
    expect(["running", "pending", "new", "suspended"].some(hasEnded)).toBe(false);
    expect(["finished", "subfinished", "done", "failed", "cancelled"].every(hasEnded)).toBe(true);
  });
});
