// Long-polls and streams are limited per token, per user and for all users together, with a 429 that names
// the limit; pilots' acquires have a budget of their own, so users holding streams never starve them.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCaller } from "../src/api/caller.js";
import { sleep } from "../src/core/sleep.js";
import { HttpTransport } from "../src/sdk/http.js";
import { startCluster, type Cluster } from "./helpers/cluster.js";
import { until } from "./helpers/until.js";

interface Stream {
  status: number;
  res: Response;
  close(): void;
  /** Resolves with the next change event's text. */
  nextChange(): Promise<string>;
}

describe("limits on long-polls and streams", () => {
  let cluster: Cluster;
  const held: Stream[] = [];

  beforeAll(async () => {
    cluster = await startCluster({
      pilots: 0,
      serverArgs: ["--max-waits-per-token", "3", "--max-waits-per-user", "4", "--max-user-waits", "6"],
    });
  });
  afterAll(async () => {
    for (const s of held) s.close();
    await cluster?.stop();
  });

  const tokenFor = async (user: string) => (await cluster.api("POST", "/api/v1/tokens", { name: `${user}'s`, user })).body.token as string;

  async function open(token: string, query = ""): Promise<Stream> {
    const controller = new AbortController();
    const res = await fetch(`${cluster.url}/api/v1/events${query}`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
    const reader = res.ok ? res.body!.getReader() : undefined;
    let seen = "";
    const stream: Stream = {
      status: res.status,
      res,
      close: () => controller.abort(),
      nextChange: async () => {
        for (;;) {
          const at = seen.indexOf("event: change");
          if (at >= 0) {
            const event = seen.slice(at, seen.indexOf("\n\n", at));
            seen = seen.slice(at + event.length);
            return event;
          }
          const { value, done } = await reader!.read();
          if (done) throw new Error("the stream ended");
          seen += new TextDecoder().decode(value);
        }
      },
    };
    if (res.ok) held.push(stream);
    return stream;
  }

  async function expectRefused(s: Stream, option: string, flag: string): Promise<void> {
    expect(s.status).toBe(429);
    expect(s.res.headers.get("retry-after")).toMatch(/^\d+$/);
    const body = (await s.res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("too_many_waits");
    expect(body.error.message).toContain(option);
    expect(body.error.message).toContain(flag);
  }

  it("refuses a token's, a user's and all users' streams beyond their limits, and the held ones keep working", async () => {
    const alice = await tokenFor("alice");
    const alice2 = await tokenFor("alice");
    const bob = await tokenFor("bob");
    const carol = await tokenFor("carol");
    const mine = [await open(alice), await open(alice), await open(alice)];
    for (const s of mine) expect(s.status).toBe(200);
    await expectRefused(await open(alice), "maxWaitsPerToken", "--max-waits-per-token");
    // A results long-poll of the same token counts too; a call that does not wait does not.
    const wf = await cluster.api("POST", "/api/v1/workflows", { name: "w" }, alice);
    expect((await cluster.api("GET", `/api/v1/workflows/${wf.body.id}?waitMs=1000`, undefined, alice)).status).toBe(429);
    expect((await cluster.api("GET", `/api/v1/workflows/${wf.body.id}`, undefined, alice)).status).toBe(200);

    expect((await open(alice2)).status).toBe(200);
    await expectRefused(await open(alice2), "maxWaitsPerUser", "--max-waits-per-user");
    expect((await open(bob)).status).toBe(200);
    expect((await open(bob)).status).toBe(200);
    await expectRefused(await open(carol), "maxUserWaits", "--max-user-waits");

    // The held streams still carry events.
    const next = mine.map((s) => s.nextChange());
    await cluster.api("POST", "/api/v1/workflows", { name: "changes" }, alice);
    for (const event of await Promise.all(next)) expect(event).toMatch(/^event: change\ndata: \{"at":\d+\}/);

    // An SDK long-poll refused so waits its turn instead of failing its caller, and is answered once a place is free.
    const transport = new HttpTransport(cluster.url, alice);
    try {
      let outcome = "waiting";
      const polled = apiCaller(transport)
        .getWorkflow({ params: { id: wf.body.id }, query: { waitMs: 100 } })
        .then(
          (view) => (outcome = view.name),
          (err: unknown) => (outcome = String(err)),
        );
      await sleep(500);
      expect(outcome).toBe("waiting");
      mine[0]!.close();
      await polled;
      expect(outcome).toBe("w");
    } finally {
      await transport.close();
    }
  });

  it("still lets a pilot register, acquire and report while users hold every place they may", async () => {
    const code = `import { work } from "pando"; export const double = work({ name: "double" }, async (x) => 2 * x);`;
    const bytes = new TextEncoder().encode(code);
    const hash = createHash("sha256").update(bytes).digest("hex");
    const put = await fetch(`${cluster.url}/api/v1/bundles/${hash}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${cluster.credentials.userToken}`, "content-type": "application/octet-stream" },
      body: bytes,
    });
    expect(put.status).toBe(201);
    const wf = await cluster.api("POST", "/api/v1/workflows", { name: "still-runs" });
    const sub = await cluster.api("POST", `/api/v1/workflows/${wf.body.id}/tasks`, { work: "double", bundleHash: hash, jobs: [{ key: "k", args: "[21]" }] });
    expect(sub.status, JSON.stringify(sub.body)).toBe(201);
    cluster.startPilot("late");
    const result = await until("the job's result", async () => {
      const r = await cluster.api("GET", `/api/v1/tasks/${sub.body.id}/results`);
      return r.body.results[0];
    });
    expect(result).toMatchObject({ state: "finished", result: "42" });
    // All users' places are taken again (a stream closed above gave one back): another user's stream is
    // refused until one is given back.
    expect((await open(await tokenFor("erin"))).status).toBe(200);
    const dave = await tokenFor("dave");
    expect((await open(dave)).status).toBe(429);
    held.pop()!.close();
    await until("a place given back", async () => ((await open(dave)).status === 200 ? true : undefined));
  });

  it("gives pilot tokens no change events, and workflow tokens only their workflow's", async () => {
    for (const s of held.splice(0)) s.close();
    // The server frees a place once it sees its stream closed: wait for that, so a refusal below is the scope's.
    const frank = await tokenFor("frank");
    await until("the held places given back", async () => {
      const s = await open(frank);
      s.close();
      return s.status === 200 ? true : undefined;
    });
    const pilot = await open(cluster.credentials.pilotToken);
    expect(pilot.status).toBe(403);
    const wf = await cluster.api("POST", "/api/v1/workflows", { name: "scoped" });
    const other = await cluster.api("POST", "/api/v1/workflows", { name: "other" });
    const scoped = (await cluster.api("POST", "/api/v1/tokens", { name: "scoped", workflowId: wf.body.id })).body.token as string;
    expect((await open(scoped)).status).toBe(403);
    expect((await open(scoped, `?workflow=${other.body.id}`)).status).toBe(403);
    const own = await open(scoped, `?workflow=${wf.body.id}`);
    expect(own.status).toBe(200);
    own.close();
  });
});
