// A server with two users and a token of every kind, and the owner's data that hostile callers must never
// change: a workflow whose task finished with its results, a step, a bundle and a token. Shared by the
// authorisation matrix and the fuzz suite.
import { createHash, randomBytes } from "node:crypto";
import { expect } from "vitest";
import { runDriver, startCluster, type Cluster } from "./cluster.js";

/** Every kind of caller: adding one here makes the matrix's table ask for its column. */
export const CALLER_KINDS = ["admin", "owner", "other", "scopedOther", "scopedSame", "pilot", "anotherPilot", "site", "revoked", "none"] as const;
export type CallerKind = (typeof CALLER_KINDS)[number];

/**
 * "local" is served by the cluster's pilots; tasks on "parked" wait for a pilot that never comes, so the
 * tests find them as they left them; "idle" is where the tests' own registered pilots serve nothing.
 */
export const WORLD_QUEUES = [{ name: "local" }, { name: "parked", status: "brokeroff" }, { name: "idle", status: "brokeroff" }];

export interface Answer {
  status: number;
  body: any;
  /** How long the server took to answer (to its headers, for a stream). */
  ms: number;
}

/** Bytes uploaded as a bundle, with their name in the code cache. */
export interface Bundle {
  hash: string;
  bytes: Buffer;
}

export function newBundle(): Bundle {
  const bytes = randomBytes(64);
  return { hash: createHash("sha256").update(bytes).digest("hex"), bytes };
}

export interface World {
  cluster: Cluster;
  /**
   * A token of each kind; scopedSame is scoped to the owner's main workflow, scopedOther to the other user's;
   * pilot and anotherPilot are the one pilot token all pilots share, anotherPilot with anotherPilotKey;
   * site is the agent's token of site "matrix", whose queue "matrix/q" is registered.
   */
  tokens: Record<Exclude<CallerKind, "none">, string>;
  /** The key of a pilot registered for the world (on "idle"): a pilot other than any the tests name. */
  anotherPilotKey: string;
  /** The owner's data written before the hostile requests. */
  main: { workflowId: number; taskId: number; jobId: number; bundle: Bundle; tokenId: number };
  otherWorkflowId: number;
  /** A JSON call (or raw bytes) with a token (null: none), and extra headers (a pilot's key). */
  call(method: string, path: string, token: string | null, body?: unknown, contentType?: string, extra?: Record<string, string>): Promise<Answer>;
  /** What a caller of the owner's data could change, read by the administrator: equal before and after a refusal. */
  ownerState(workflowId?: number, jobId?: number): Promise<string>;
}

export async function call(
  url: string,
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
  contentType?: string,
  extra?: Record<string, string>,
): Promise<Answer> {
  const headers: Record<string, string> = { ...extra };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let payload: string | Uint8Array<ArrayBuffer> | undefined;
  if (Buffer.isBuffer(body)) {
    payload = new Uint8Array(body);
    headers["content-type"] = contentType ?? "application/octet-stream";
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["content-type"] = contentType ?? "application/json";
  }
  const controller = new AbortController();
  const started = performance.now();
  const res = await fetch(`${url}${path}`, { method, headers, body: payload, signal: controller.signal });
  let parsed: unknown;
  if (res.headers.get("content-type")?.startsWith("text/event-stream")) {
    // A stream stays open: its status and headers are the answer.
    controller.abort();
  } else {
    const text = await res.text();
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
  }
  return { status: res.status, body: parsed, ms: performance.now() - started };
}

async function expectStatus(answer: Promise<Answer>, status: number, what: string): Promise<any> {
  const a = await answer;
  expect(a.status, `${what}: ${JSON.stringify(a.body)}`).toBe(status);
  return a.body;
}

export async function buildWorld(nodeArgs: string[] = []): Promise<World> {
  const cluster = await startCluster({ pilots: 1, queues: WORLD_QUEUES, nodeArgs });
  const admin = cluster.credentials.userToken;
  const c = (method: string, path: string, token: string | null, body?: unknown, contentType?: string, extra?: Record<string, string>) =>
    call(cluster.url, method, path, token, body, contentType, extra);
  const token = async (by: string, body: Record<string, unknown>) => (await expectStatus(c("POST", "/api/v1/tokens", by, body), 201, "create a token")).token as string;

  const owner = await token(admin, { name: "owner", user: "owner" });
  const other = await token(admin, { name: "other", user: "other" });
  const revoked = await token(owner, { name: "revoked" });
  const listed = (await expectStatus(c("GET", "/api/v1/tokens", owner), 200, "list tokens")) as Array<{ id: number; name: string }>;
  const byName = (name: string) => listed.find((t) => t.name === name)!.id;
  await expectStatus(c("DELETE", `/api/v1/tokens/${byName("revoked")}`, owner), 200, "revoke a token");

  const run = await runDriver("test/fixtures/core.ts#single", ["3"], { url: cluster.url, token: owner });
  expect(run.code, run.stderr).toBe(0);
  const workflowId = run.workflowId!;
  const view = await expectStatus(c("GET", `/api/v1/workflows/${workflowId}`, owner), 200, "read the owner's workflow");
  const taskId = view.tasks[0].id as number;
  const jobs = await expectStatus(c("GET", `/api/v1/tasks/${taskId}/jobs`, owner), 200, "list the owner's jobs");
  const bundle = newBundle();
  await expectStatus(c("PUT", `/api/v1/bundles/${bundle.hash}`, owner, bundle.bytes), 201, "upload the owner's bundle");
  await expectStatus(c("PUT", `/api/v1/workflows/${workflowId}/steps/0`, owner, { name: "kept", value: '"v"' }), 200, "record a step");
  const scopedSame = await token(owner, { name: "scoped", workflowId });
  const otherWorkflow = await expectStatus(c("POST", "/api/v1/workflows", other, { name: "other.wf", queue: "parked" }), 201, "create the other's workflow");
  const scopedOther = await token(other, { name: "scoped", workflowId: otherWorkflow.id });
  const pilot = cluster.credentials.pilotToken;
  const anotherPilot = await expectStatus(c("POST", "/api/v1/pilots", pilot, { queue: "idle", name: "another" }), 201, "register another pilot");
  const site = await token(admin, { name: "matrix agent", site: "matrix" });
  await expectStatus(c("PUT", "/api/v1/sites/matrix", site, { queues: [{ name: "q" }] }), 200, "register site matrix");

  const ownerState = async (wf = workflowId, job?: number) => {
    const reads = [`/api/v1/workflows/${wf}`, `/api/v1/workflows/${wf}/steps`, "/api/v1/tokens?all=true&revoked=true"];
    if (job !== undefined) reads.push(`/api/v1/jobs/${job}`);
    const answers = await Promise.all(reads.map((path) => c("GET", path, admin)));
    return JSON.stringify(answers.map((a) => [a.status, a.body]));
  };

  return {
    cluster,
    tokens: { admin, owner, other, scopedOther, scopedSame, pilot, anotherPilot: pilot, site, revoked },
    anotherPilotKey: anotherPilot.reportKey as string,
    main: { workflowId, taskId, jobId: jobs.jobs[0].id, bundle, tokenId: byName("owner") },
    otherWorkflowId: otherWorkflow.id,
    call: c,
    ownerState: (wf, job) => ownerState(wf, job ?? (wf === undefined ? jobs.jobs[0].id : undefined)),
  };
}
