// Every route that takes a body takes one media type (JSON, or raw bytes for an upload): any other is 415
// with the API's error shape, as docs/api.md says.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENDPOINT_LIST } from "../src/api/endpoints.js";
import { pathOf } from "../src/api/routes.js";
import { startCluster, type Cluster } from "./helpers/cluster.js";

const WITH_BODY = ENDPOINT_LIST.filter((e) => e.method === "POST" || e.method === "PUT");
const PARAMS = { id: 1, seq: 0, name: "local", hash: "a".repeat(64) };

describe("bodies of an unsupported content type", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ pilots: 0 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const send = (method: string, path: string, contentType: string, body: string) =>
    fetch(`${cluster.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${cluster.credentials.userToken}`, "content-type": contentType },
      body,
    });

  it.each(WITH_BODY.map((e) => [`${e.method} ${e.path}`, e] as const))("%s answers 415 to text/plain", async (_, e) => {
    const res = await send(e.method, pathOf(e, PARAMS), "text/plain", '{"name":"x"}');
    expect(res.status).toBe(415);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("unsupported_media_type");
    expect(body.error.message).toMatch(e.rawBody ? /application\/octet-stream/ : /application\/json/);
  });

  it("answers 415 to JSON sent for bytes, and to bytes sent for JSON", async () => {
    const toBundle = await send("PUT", `/api/v1/bundles/${"a".repeat(64)}`, "application/json", "{}");
    expect(toBundle.status).toBe(415);
    const toWorkflows = await send("POST", "/api/v1/workflows", "application/octet-stream", '{"name":"x"}');
    expect(toWorkflows.status).toBe(415);
    const ok = await send("POST", "/api/v1/workflows", "application/json; charset=utf-8", '{"name":"x"}');
    expect(ok.status).toBe(201);
  });
});
