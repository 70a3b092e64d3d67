// Every endpoint × every kind of caller, against a real server and pilot: the status each cell must answer is
// declared in one table, and a refusal must leave the owner's data as it was.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pathOf, ROUTES, type EndpointName, type QueryValues } from "../src/api/routes.js";
import { buildWorld, CALLER_KINDS, newBundle, type Bundle, type CallerKind, type World } from "./helpers/world.js";

type Row = Readonly<Record<CallerKind, number>>;

// prettier-ignore
/**
 * What each caller gets from each endpoint, for a valid request on the owner's data (REQUESTS below). Other
 * users and tokens scoped to another user's workflow never see nor change the owner's workflows, tasks, jobs,
 * results, steps, bundles or events; pilot tokens only act as pilots (and read the server-wide listings,
 * which hold no user's data), and only as the pilot whose key they carry: anotherPilot is the same pilot
 * token with another registered pilot's key; a site's token acts for its site only, on the site endpoints; a
 * revoked token is no token.
 */
const EXPECTED: { readonly [N in EndpointName]: Row } = {
  health:          { admin: 200, owner: 200, other: 200, scopedOther: 200, scopedSame: 200, pilot: 200, anotherPilot: 200, site: 200, revoked: 200, none: 200 },
  openApi:         { admin: 200, owner: 200, other: 200, scopedOther: 200, scopedSame: 200, pilot: 200, anotherPilot: 200, site: 200, revoked: 200, none: 200 },
  brokerSettings:  { admin: 200, owner: 200, other: 200, scopedOther: 200, scopedSame: 200, pilot: 200, anotherPilot: 200, site: 403, revoked: 401, none: 401 },
  metrics:         { admin: 200, owner: 200, other: 200, scopedOther: 403, scopedSame: 403, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  createWorkflow:  { admin: 201, owner: 201, other: 201, scopedOther: 403, scopedSame: 403, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  getWorkflow:     { admin: 200, owner: 200, other: 403, scopedOther: 403, scopedSame: 200, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  closeWorkflow:   { admin: 200, owner: 200, other: 403, scopedOther: 403, scopedSame: 200, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  killWorkflow:    { admin: 200, owner: 200, other: 403, scopedOther: 403, scopedSame: 200, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  retryWorkflow:   { admin: 200, owner: 200, other: 403, scopedOther: 403, scopedSame: 200, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  resumeWorkflow:  { admin: 200, owner: 200, other: 403, scopedOther: 403, scopedSame: 200, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  suspendWorkflow: { admin: 200, owner: 200, other: 403, scopedOther: 403, scopedSame: 200, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  driverHeartbeat: { admin: 200, owner: 200, other: 403, scopedOther: 403, scopedSame: 200, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  steps:           { admin: 200, owner: 200, other: 403, scopedOther: 403, scopedSame: 200, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  putStep:         { admin: 200, owner: 200, other: 403, scopedOther: 403, scopedSame: 200, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  submitTask:      { admin: 201, owner: 201, other: 403, scopedOther: 403, scopedSame: 201, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  getTask:         { admin: 200, owner: 200, other: 403, scopedOther: 403, scopedSame: 200, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  killTask:        { admin: 200, owner: 200, other: 403, scopedOther: 403, scopedSame: 200, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  retryTask:       { admin: 200, owner: 200, other: 403, scopedOther: 403, scopedSame: 200, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  getJob:          { admin: 200, owner: 200, other: 403, scopedOther: 403, scopedSame: 200, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  taskResults:     { admin: 200, owner: 200, other: 403, scopedOther: 403, scopedSame: 200, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  listWorkflows:   { admin: 200, owner: 200, other: 200, scopedOther: 403, scopedSame: 403, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  workflowErrors:  { admin: 200, owner: 200, other: 403, scopedOther: 403, scopedSame: 200, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  objective:       { admin: 200, owner: 200, other: 403, scopedOther: 403, scopedSame: 200, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  workflowJobValues: { admin: 200, owner: 200, other: 403, scopedOther: 403, scopedSame: 200, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  archiveWorkflow: { admin: 200, owner: 200, other: 403, scopedOther: 403, scopedSame: 403, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  deleteWorkflow:  { admin: 200, owner: 200, other: 403, scopedOther: 403, scopedSame: 403, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  listJobs:        { admin: 200, owner: 200, other: 403, scopedOther: 403, scopedSame: 200, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  taskJobValues:   { admin: 200, owner: 200, other: 403, scopedOther: 403, scopedSame: 200, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  taskErrors:      { admin: 200, owner: 200, other: 403, scopedOther: 403, scopedSame: 200, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  timeline:        { admin: 200, owner: 200, other: 403, scopedOther: 403, scopedSame: 200, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  listPilots:      { admin: 200, owner: 200, other: 200, scopedOther: 403, scopedSame: 403, pilot: 200, anotherPilot: 200, site: 403, revoked: 401, none: 401 },
  // Without parameters: the listings' events, which workflow and pilot tokens may not follow.
  events:          { admin: 200, owner: 200, other: 200, scopedOther: 403, scopedSame: 403, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  putBundle:       { admin: 201, owner: 201, other: 201, scopedOther: 403, scopedSame: 403, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  // The owner's bundle is absent for whoever did not upload it, and for a pilot that holds none of its jobs;
  // another pilot may not even ask as that pilot (the request names the scene's pilot: ?pilot=).
  getBundle:       { admin: 200, owner: 200, other: 404, scopedOther: 404, scopedSame: 200, pilot: 404, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  hasBundle:       { admin: 200, owner: 200, other: 404, scopedOther: 404, scopedSame: 200, pilot: 404, anotherPilot: 404, site: 403, revoked: 401, none: 401 },
  listQueues:      { admin: 200, owner: 200, other: 200, scopedOther: 200, scopedSame: 200, pilot: 200, anotherPilot: 200, site: 403, revoked: 401, none: 401 },
  setQueueStatus:  { admin: 200, owner: 403, other: 403, scopedOther: 403, scopedSame: 403, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  listWorkers:     { admin: 200, owner: 200, other: 200, scopedOther: 200, scopedSame: 200, pilot: 200, anotherPilot: 200, site: 403, revoked: 401, none: 401 },
  listSites:       { admin: 200, owner: 200, other: 200, scopedOther: 200, scopedSame: 200, pilot: 200, anotherPilot: 200, site: 403, revoked: 401, none: 401 },
  // Only the site's own token, or an administrator's, acts for a site.
  registerSite:    { admin: 200, owner: 403, other: 403, scopedOther: 403, scopedSame: 403, pilot: 403, anotherPilot: 403, site: 200, revoked: 401, none: 401 },
  siteDemand:      { admin: 200, owner: 403, other: 403, scopedOther: 403, scopedSame: 403, pilot: 403, anotherPilot: 403, site: 200, revoked: 401, none: 401 },
  createSiteWorker:{ admin: 201, owner: 403, other: 403, scopedOther: 403, scopedSame: 403, pilot: 403, anotherPilot: 403, site: 201, revoked: 401, none: 401 },
  updateSiteWorker:{ admin: 200, owner: 403, other: 403, scopedOther: 403, scopedSame: 403, pilot: 403, anotherPilot: 403, site: 200, revoked: 401, none: 401 },
  createToken:     { admin: 201, owner: 201, other: 201, scopedOther: 403, scopedSame: 403, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  listTokens:      { admin: 200, owner: 200, other: 200, scopedOther: 403, scopedSame: 403, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  // The owner's token is unknown to other users.
  revokeToken:     { admin: 200, owner: 200, other: 404, scopedOther: 403, scopedSame: 403, pilot: 403, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  registerPilot:   { admin: 201, owner: 403, other: 403, scopedOther: 403, scopedSame: 403, pilot: 201, anotherPilot: 201, site: 403, revoked: 401, none: 401 },
  acquire:         { admin: 200, owner: 403, other: 403, scopedOther: 403, scopedSame: 403, pilot: 200, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  report:          { admin: 200, owner: 403, other: 403, scopedOther: 403, scopedSame: 403, pilot: 200, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  heartbeat:       { admin: 200, owner: 403, other: 403, scopedOther: 403, scopedSame: 403, pilot: 200, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
  exitPilot:       { admin: 200, owner: 403, other: 403, scopedOther: 403, scopedSame: 403, pilot: 200, anotherPilot: 403, site: 403, revoked: 401, none: 401 },
};

/** The owner's data a cell acts on: the main data for reads, fresh data for the requests that change it. */
interface Scene {
  workflowId: number;
  taskId: number;
  jobId: number;
  /** A token scoped to this scene's workflow (the scopedSame column's). */
  scoped: string;
  bundle: Bundle;
  pilotId: number;
  /** The key the scene's pilot registered with (the pilot column's). */
  pilotKey: string;
  tokenId: number;
  /** A worker of site matrix (the updateSiteWorker cells'). */
  workerId: number;
}

/**
 * What a scene needs: the main data; a fresh running workflow with a task waiting on "parked"; the same,
 * suspended after its task was killed (its jobs can be retried); an ended one, followed by a newer one (an
 * SQLite database refuses to delete the workflow that holds its newest ids); a pilot of the test's own; a
 * spare token of the owner's; bytes not uploaded yet; a worker of site matrix.
 */
type SceneKind = "main" | "running" | "suspended" | "ended" | "pilot" | "token" | "newBundle" | "siteWorker";

interface CellRequest {
  params?: Record<string, string | number>;
  query?: QueryValues;
  body?: unknown;
}

const REQUESTS: { readonly [N in EndpointName]: { scene: SceneKind; request: (s: Scene) => CellRequest } } = {
  health: { scene: "main", request: () => ({}) },
  openApi: { scene: "main", request: () => ({}) },
  brokerSettings: { scene: "main", request: () => ({}) },
  metrics: { scene: "main", request: () => ({}) },
  createWorkflow: { scene: "main", request: () => ({ body: { name: "matrix.created", queue: "parked" } }) },
  getWorkflow: { scene: "main", request: (s) => ({ params: { id: s.workflowId } }) },
  closeWorkflow: { scene: "running", request: (s) => ({ params: { id: s.workflowId }, body: { outcome: "returned", result: "1" } }) },
  killWorkflow: { scene: "running", request: (s) => ({ params: { id: s.workflowId } }) },
  retryWorkflow: { scene: "suspended", request: (s) => ({ params: { id: s.workflowId } }) },
  resumeWorkflow: { scene: "suspended", request: (s) => ({ params: { id: s.workflowId }, body: { name: "matrix.scene" } }) },
  suspendWorkflow: { scene: "running", request: (s) => ({ params: { id: s.workflowId }, body: { reason: "the matrix stopped it" } }) },
  driverHeartbeat: { scene: "running", request: (s) => ({ params: { id: s.workflowId }, body: {} }) },
  steps: { scene: "main", request: (s) => ({ params: { id: s.workflowId } }) },
  putStep: { scene: "running", request: (s) => ({ params: { id: s.workflowId, seq: 0 }, body: { name: "s", value: "1" } }) },
  submitTask: {
    scene: "running",
    request: (s) => ({ params: { id: s.workflowId }, body: { work: "w", bundleHash: s.bundle.hash, queue: "parked", jobs: [{ key: "k", args: "[]" }] } }),
  },
  getTask: { scene: "main", request: (s) => ({ params: { id: s.taskId } }) },
  killTask: { scene: "running", request: (s) => ({ params: { id: s.taskId } }) },
  retryTask: { scene: "suspended", request: (s) => ({ params: { id: s.taskId } }) },
  getJob: { scene: "main", request: (s) => ({ params: { id: s.jobId } }) },
  taskResults: { scene: "main", request: (s) => ({ params: { id: s.taskId } }) },
  listWorkflows: { scene: "main", request: () => ({}) },
  workflowErrors: { scene: "main", request: (s) => ({ params: { id: s.workflowId } }) },
  objective: { scene: "main", request: (s) => ({ params: { id: s.workflowId } }) },
  workflowJobValues: { scene: "main", request: (s) => ({ params: { id: s.workflowId } }) },
  archiveWorkflow: { scene: "main", request: (s) => ({ params: { id: s.workflowId } }) },
  deleteWorkflow: { scene: "ended", request: (s) => ({ params: { id: s.workflowId } }) },
  listJobs: { scene: "main", request: (s) => ({ params: { id: s.taskId } }) },
  taskJobValues: { scene: "main", request: (s) => ({ params: { id: s.taskId } }) },
  taskErrors: { scene: "main", request: (s) => ({ params: { id: s.taskId } }) },
  timeline: { scene: "main", request: (s) => ({ params: { id: s.taskId } }) },
  listPilots: { scene: "main", request: () => ({}) },
  events: { scene: "main", request: () => ({}) },
  putBundle: { scene: "newBundle", request: (s) => ({ params: { hash: s.bundle.hash }, body: s.bundle.bytes }) },
  getBundle: { scene: "pilot", request: (s) => ({ params: { hash: s.bundle.hash }, query: { pilot: s.pilotId } }) },
  hasBundle: { scene: "main", request: (s) => ({ params: { hash: s.bundle.hash } }) },
  listQueues: { scene: "main", request: () => ({}) },
  setQueueStatus: { scene: "main", request: () => ({ params: { name: "idle" }, body: { status: "brokeroff" } }) },
  listWorkers: { scene: "main", request: () => ({}) },
  listSites: { scene: "main", request: () => ({}) },
  registerSite: { scene: "main", request: () => ({ params: { name: "matrix" }, body: { queues: [{ name: "q" }] } }) },
  siteDemand: { scene: "main", request: () => ({ params: { name: "matrix" }, body: { waitMs: 0 } }) },
  createSiteWorker: { scene: "main", request: () => ({ params: { name: "matrix" }, body: { queue: "matrix/q", backend: "local" } }) },
  updateSiteWorker: {
    scene: "siteWorker",
    request: (s) => ({ params: { name: "matrix", id: s.workerId }, body: { batchState: "pending", pendingReason: "Priority" } }),
  },
  createToken: { scene: "main", request: () => ({ body: { name: "matrix.created" } }) },
  listTokens: { scene: "main", request: () => ({}) },
  revokeToken: { scene: "token", request: (s) => ({ params: { id: s.tokenId } }) },
  registerPilot: { scene: "main", request: () => ({ body: { queue: "idle", name: "matrix.registered" } }) },
  acquire: { scene: "pilot", request: (s) => ({ params: { id: s.pilotId }, body: { capacity: 0 } }) },
  report: { scene: "pilot", request: (s) => ({ params: { id: s.pilotId }, body: { updates: [] } }) },
  heartbeat: { scene: "pilot", request: (s) => ({ params: { id: s.pilotId }, body: { held: [] } }) },
  exitPilot: { scene: "pilot", request: (s) => ({ params: { id: s.pilotId } }) },
};

describe("the authorisation matrix: every endpoint × every kind of caller", () => {
  let world: World;
  let mainScene: Scene;
  let scenes = 0;

  beforeAll(async () => {
    world = await buildWorld();
    const { main, tokens } = world;
    mainScene = { ...main, scoped: tokens.scopedSame, pilotId: 0, pilotKey: "", workerId: 0 };
  });
  afterAll(async () => {
    await world?.cluster.stop();
  });

  /** Calls as the owner, expecting `status`. */
  async function owner(method: string, path: string, status: number, body?: unknown): Promise<any> {
    const a = await world.call(method, path, world.tokens.owner, body);
    expect(a.status, `${method} ${path}: ${JSON.stringify(a.body)}`).toBe(status);
    return a.body;
  }

  async function runningScene(): Promise<Scene> {
    const n = ++scenes;
    const wf = await owner("POST", "/api/v1/workflows", 201, { name: "matrix.scene", queue: "parked" });
    const body = { work: "w", bundleHash: world.main.bundle.hash, queue: "parked", jobs: [{ key: `k${n}`, args: "[]" }] };
    const task = await owner("POST", `/api/v1/workflows/${wf.id}/tasks`, 201, body);
    const jobs = await owner("GET", `/api/v1/tasks/${task.id}/jobs`, 200);
    const scoped = await owner("POST", "/api/v1/tokens", 201, { name: `scene${n}`, workflowId: wf.id });
    return { ...mainScene, workflowId: wf.id, taskId: task.id, jobId: jobs.jobs[0].id, scoped: scoped.token };
  }

  async function scene(kind: SceneKind): Promise<Scene> {
    switch (kind) {
      case "main":
        return mainScene;
      case "running":
        return runningScene();
      case "suspended": {
        const s = await runningScene();
        await owner("POST", `/api/v1/tasks/${s.taskId}/kill`, 200);
        await owner("POST", `/api/v1/workflows/${s.workflowId}/suspend`, 200, { reason: "for a retry" });
        return s;
      }
      case "ended": {
        const s = await runningScene();
        await owner("POST", `/api/v1/workflows/${s.workflowId}/kill`, 200);
        await runningScene();
        return s;
      }
      case "pilot": {
        const a = await world.call("POST", "/api/v1/pilots", world.tokens.pilot, { queue: "idle", name: `matrix.pilot${++scenes}` });
        expect(a.status).toBe(201);
        return { ...mainScene, pilotId: a.body.id, pilotKey: a.body.reportKey };
      }
      case "token": {
        const name = `matrix.spare${++scenes}`;
        await owner("POST", "/api/v1/tokens", 201, { name });
        const listed = (await owner("GET", "/api/v1/tokens", 200)) as Array<{ id: number; name: string }>;
        return { ...mainScene, tokenId: listed.find((t) => t.name === name)!.id };
      }
      case "newBundle":
        return { ...mainScene, bundle: newBundle() };
      case "siteWorker": {
        const a = await world.call("POST", "/api/v1/sites/matrix/workers", world.tokens.site, { queue: "matrix/q", backend: "local" });
        expect(a.status).toBe(201);
        return { ...mainScene, workerId: a.body.id };
      }
    }
  }

  /** What a refused cell must not have changed: the owner's data the scene holds, its pilot, its bundle. */
  async function state(s: Scene): Promise<string> {
    const reads = [world.ownerState(s.workflowId, s.jobId)];
    if (s.pilotId) reads.push(world.call("GET", "/api/v1/pilots?queue=idle", world.tokens.admin).then((a) => JSON.stringify(a.body.pilots.map((p: { id: number; status: string }) => [p.id, p.status]))));
    reads.push(world.call("HEAD", `/api/v1/bundles/${s.bundle.hash}`, world.tokens.owner).then((a) => String(a.status)));
    return (await Promise.all(reads)).join("\n");
  }

  /** The pilot key a caller's requests carry: the scene pilot's own, or another pilot's. */
  function headersOf(kind: CallerKind, s: Scene): Record<string, string> {
    if (kind === "pilot" && s.pilotKey) return { "x-pando-pilot-key": s.pilotKey };
    if (kind === "anotherPilot") return { "x-pando-pilot-key": world.anotherPilotKey };
    return {};
  }

  function tokenOf(kind: CallerKind, s: Scene): string | null {
    if (kind === "none") return null;
    return kind === "scopedSame" ? s.scoped : world.tokens[kind];
  }

  for (const name of Object.keys(EXPECTED) as EndpointName[]) {
    it(`${name}: ${ROUTES[name].method} ${ROUTES[name].path}`, async () => {
      const route = ROUTES[name];
      const wrong: string[] = [];
      for (const kind of CALLER_KINDS) {
        const s = await scene(REQUESTS[name].scene);
        const { params, query, body } = REQUESTS[name].request(s);
        const path = pathOf(route, params, query);
        const expected = EXPECTED[name][kind];
        const before = expected >= 400 ? await state(s) : "";
        const a = await world.call(route.method, path, tokenOf(kind, s), body, undefined, headersOf(kind, s));
        if (a.status !== expected) {
          wrong.push(`${kind}: ${route.method} ${path} answered ${a.status}, not ${expected}: ${JSON.stringify(a.body)?.slice(0, 300)}`);
        } else if (expected >= 400) {
          const after = await state(s);
          if (after !== before) wrong.push(`${kind}: the refused ${route.method} ${path} changed the owner's data:\n${before}\n→\n${after}`);
        }
      }
      expect(wrong, wrong.join("\n")).toEqual([]);
    });
  }

  it("forgets a deleted workflow at once: every endpoint answers 404 for it, and its scoped token stops working", async () => {
    const s = await scene("ended");
    // The server knows the scoped token and the workflow's owner from this call on.
    expect((await world.call("GET", `/api/v1/workflows/${s.workflowId}`, s.scoped)).status).toBe(200);
    await owner("DELETE", `/api/v1/workflows/${s.workflowId}`, 200);
    const id = s.workflowId;
    const after: Array<[string, string, unknown?]> = [
      ["GET", `/api/v1/workflows/${id}`],
      ["PUT", `/api/v1/workflows/${id}/steps/1`, { name: "s", value: "1" }],
      ["GET", `/api/v1/workflows/${id}/steps`],
      ["GET", `/api/v1/workflows/${id}/objective`],
      ["GET", `/api/v1/workflows/${id}/errors`],
      ["POST", `/api/v1/workflows/${id}/heartbeat`, {}],
      ["POST", `/api/v1/workflows/${id}/tasks`, { work: "w", bundleHash: world.main.bundle.hash, queue: "parked", jobs: [{ key: "k", args: "[]" }] }],
      ["POST", "/api/v1/tokens", { name: "late", workflowId: id }],
      ["GET", `/api/v1/events?workflow=${id}`],
    ];
    const wrong: string[] = [];
    for (const [method, path, body] of after) {
      const a = await world.call(method, path, world.tokens.owner, body);
      if (a.status !== 404) wrong.push(`${method} ${path} answered ${a.status}: ${JSON.stringify(a.body)}`);
    }
    const scoped = await world.call("GET", `/api/v1/workflows/${id}`, s.scoped);
    if (scoped.status !== 401) wrong.push(`the deleted workflow's scoped token got ${scoped.status}: ${JSON.stringify(scoped.body)}`);
    expect(wrong, wrong.join("\n")).toEqual([]);
  });

  it("refuses a task of another user, or of his workflow's token, that names the owner's bundle", async () => {
    const { tokens, main, otherWorkflowId } = world;
    const body = { work: "w", bundleHash: main.bundle.hash, queue: "parked", jobs: [{ key: "k", args: "[]" }] };
    for (const token of [tokens.other, tokens.scopedOther]) {
      const a = await world.call("POST", `/api/v1/workflows/${otherWorkflowId}/tasks`, token, body);
      expect(a.status, JSON.stringify(a.body)).toBeGreaterThanOrEqual(400);
      expect(a.status).toBeLessThan(500);
    }
    const wf = await world.call("GET", `/api/v1/workflows/${otherWorkflowId}`, tokens.other);
    expect(wf.body.tasks).toEqual([]);
  });
});
