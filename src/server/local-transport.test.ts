import { describe, expect, it } from "vitest";
import { ApiError } from "../api/errors.js";
import { ROUTES } from "../api/routes.js";
import type { Principal } from "../store/auth-store.js";
import type { Handlers } from "./handlers.js";
import { localTransport } from "./local-transport.js";

type Counted = [route: string | undefined, method: string, status: number, transport: string | undefined];

function transportWith(handlers: Partial<Record<keyof Handlers, unknown>>) {
  const counted: Counted[] = [];
  const metrics = { request: (route: string | undefined, method: string, status: number, _seconds: number, transport?: string) => void counted.push([route, method, status, transport]) };
  const principal = { kind: "user", userId: 1 } as unknown as Principal;
  return { transport: localTransport(handlers as unknown as Handlers, principal, metrics), counted };
}

describe("localTransport", () => {
  it("counts each in-process call as a request of its route template, with its status, on the in_process transport", async () => {
    const { transport, counted } = transportWith({
      health: async () => ({ ok: true }),
      getWorkflow: async () => {
        throw new ApiError(404, "not_found", "no such workflow");
      },
    });
    await transport.request({ name: "health", route: ROUTES.health, options: {} });
    await expect(transport.request({ name: "getWorkflow", route: ROUTES.getWorkflow, params: { id: 7 }, options: {} })).rejects.toThrow("no such workflow");
    // A path parameter that is not an id is refused before any handler runs, and counted as a 400.
    await expect(transport.request({ name: "getWorkflow", route: ROUTES.getWorkflow, params: { id: "x" }, options: {} })).rejects.toBeInstanceOf(ApiError);
    expect(counted).toEqual([
      ["/api/v1/health", "GET", 200, "in_process"],
      ["/api/v1/workflows/:id", "GET", 404, "in_process"],
      ["/api/v1/workflows/:id", "GET", 400, "in_process"],
    ]);
  });

  it("counts a stream once its reader has taken it to the end", async () => {
    const { transport, counted } = transportWith({
      archiveWorkflow: async () =>
        (async function* () {
          yield { type: "workflow" };
          yield { type: "task" };
        })(),
    });
    const stream = (await transport.request({ name: "archiveWorkflow", route: ROUTES.archiveWorkflow, params: { id: 1 }, options: {} })) as AsyncIterable<Uint8Array>;
    expect(counted).toEqual([]);
    let lines = "";
    for await (const chunk of stream) lines += new TextDecoder().decode(chunk);
    expect(lines.trim().split("\n")).toHaveLength(2);
    expect(counted).toEqual([["/api/v1/workflows/:id/archive", "GET", 200, "in_process"]]);
  });
});
