// The broker is an untrusted transport: another user who logs in with what the server hands him can neither
// read a user's results nor change anything of that user's jobs through it — on ActiveMQ and on RabbitMQ,
// each started by scripts/services/* for this file with the server's, the pilots' and the drivers' logins.
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IMessage } from "@stomp/stompjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrokerSettings } from "../../src/api/pilots.js";
import { fromSettings } from "../../src/bus/broker-config.js";
import { reportsQueue, resultsTopic, sign } from "../../src/bus/messages.js";
import { open } from "../../src/bus/sealed.js";
import { StompLink } from "../../src/bus/stomp-link.js";
import type { Arrival } from "../fixtures/result-paths.js";
import { BROKER_PASSWORD, BROKER_ROLES, BROKER_USER, testBroker, useBrokerCredentials, type TestBroker } from "../helpers/broker.js";
import { runDriver, startCluster, type Cluster } from "../helpers/cluster.js";
import { scrape, type Scrape } from "../helpers/prometheus.js";
import { until } from "../helpers/until.js";

const dropped = (s: Scrape, reason: string) => s.value("pando_broker_messages_dropped_total", { reason });
const refused = (s: Scrape, labels: Record<string, string>) => s.value("pando_updates_refused_total", labels);

const BROKERS = [
  { kind: "activemq" as const, port: 61663, wildcard: "/topic/pando.results.>" },
  { kind: "rabbitmq" as const, port: 61664, wildcard: "/topic/pando.results.#" },
];
/** The victim's results: numbers no frame of the attacker's may show. */
const SECRET = 7_340_001;

/** The victim: a driver whose two jobs run on the cluster's pilots and wait for the file `gate` in `dir`. */
async function gatedVictim(cluster: Cluster, dir: string) {
  const gate = join(dir, "gate");
  const victim = runDriver("test/fixtures/result-paths.ts#gatedPair", [JSON.stringify(join(dir, "markers")), JSON.stringify(gate), String(SECRET)], {
    url: cluster.url,
    token: cluster.credentials.userToken,
    // Its project would be this repository, whose archive is about the size of the server's small request limit here.
    extra: ["--no-project"],
  });
  const workflowId = await victim.started;
  const task = await until("the victim's task", async () => (await cluster.api("GET", `/api/v1/workflows/${workflowId}`)).body.tasks[0]);
  return { gate, victim, task };
}

function link(settings: BrokerSettings | { login: string; passcode: string; port: number }, name: string): StompLink {
  const config =
    "endpoints" in settings
      ? fromSettings(settings)
      : { endpoints: [{ host: "127.0.0.1", port: settings.port }], login: settings.login, passcode: settings.passcode, prefix: "pando" };
  const l = new StompLink(config, { name, reconnectDelayMs: 60_000 });
  l.start();
  return l;
}

describe.each(BROKERS)("a hostile user on $kind", ({ kind, port, wildcard }) => {
  let broker: TestBroker;
  let cluster: Cluster;
  let dir: string;
  let mallory: string;
  const links: StompLink[] = [];

  const metrics = () => scrape(cluster.api);

  beforeAll(async () => {
    useBrokerCredentials();
    broker = testBroker(kind, port);
    broker.up();
    cluster = await startCluster({
      pilots: 2,
      slots: 2,
      broker: broker.url,
      // Report messages are parsed only up to the REST report's body limit: a small one here, so a test message can pass it.
      serverArgs: ["--max-request", "1MiB"],
      // A queue no pilot serves: the attacker's own task waits there, and so does the attacker's own pilot.
      queues: [{ name: "local" }, { name: "parked", status: "brokeroff" }],
    });
    dir = mkdtempSync(join(tmpdir(), "pando-hostile-broker-"));
    mallory = (await cluster.api("POST", "/api/v1/tokens", { name: "mallory's", user: "mallory" })).body.token as string;
  });
  afterAll(async () => {
    for (const l of links) await l.stop();
    await cluster?.stop();
    broker?.purge();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Mallory's own task, submitted over REST: its key is the one the server gives him. */
  async function mallorysTask(): Promise<{ id: number; key: string }> {
    const bundle = Buffer.from(`mallory ${randomBytes(8).toString("hex")}`);
    const hash = createHash("sha256").update(bundle).digest("hex");
    const put = await fetch(`${cluster.url}/api/v1/bundles/${hash}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${mallory}`, "content-type": "application/octet-stream" },
      body: bundle,
    });
    expect(put.status).toBe(201);
    const wf = await cluster.api("POST", "/api/v1/workflows", { name: "mallory" }, mallory);
    expect(wf.status).toBe(201);
    const body = { work: "w", bundleHash: hash, queue: "parked", jobs: [{ key: "k", args: "[]" }] };
    // Keys are the server's to make: a key the client brings is refused, saying so.
    const chosen = await cluster.api("POST", `/api/v1/workflows/${wf.body.id}/tasks`, { ...body, resultKey: "ab".repeat(32) }, mallory);
    expect(chosen.status).toBe(400);
    expect(chosen.body.error.message).toMatch(/result keys are made by the server/);
    const task = await cluster.api("POST", `/api/v1/workflows/${wf.body.id}/tasks`, body, mallory);
    expect(task.status).toBe(201);
    expect(task.body.resultKey).toMatch(/^[0-9a-f]{64}$/);
    return { id: task.body.id, key: task.body.resultKey };
  }

  it("hands each role its own login, never the server's", async () => {
    const asUser = (await cluster.api("GET", "/api/v1/broker", undefined, mallory)).body.broker as BrokerSettings;
    expect(asUser).toMatchObject({ login: BROKER_ROLES.driver.login, passcode: BROKER_ROLES.driver.passcode });
    const asPilot = (await cluster.api("GET", "/api/v1/broker", undefined, cluster.credentials.pilotToken)).body.broker as BrokerSettings;
    expect(asPilot).toMatchObject({ login: BROKER_ROLES.pilot.login });
    for (const s of [asUser, asPilot]) expect(s.login).not.toBe(BROKER_USER);
  });

  it("lets another user read nothing of a user's results, nor change anything of the user's running jobs", async () => {
    const theirs = await mallorysTask();
    // Mallory listens to every task's results with the login his token gets.
    const settings = (await cluster.api("GET", "/api/v1/broker", undefined, mallory)).body.broker as BrokerSettings;
    const eavesdropper = link(settings, "mallory");
    links.push(eavesdropper);
    expect(await eavesdropper.waitConnected(5000)).toBe(true);
    const frames: IMessage[] = [];
    expect((await eavesdropper.subscribe(wildcard, {}, (m) => frames.push(m))).confirmed).toBe(true);

    // The victim's two jobs run, and wait for the gate.
    const { gate, victim, task } = await gatedVictim(cluster, dir);
    const jobsOf = async () => (await cluster.api("GET", `/api/v1/tasks/${task.id}/jobs`)).body.jobs as Array<{ id: number; state: string; attempts: number; pilot: string | null }>;
    const running = await until("both jobs to run", async () => {
      const jobs = await jobsOf();
      return jobs.length === 2 && jobs.every((j) => j.state === "running") ? jobs : undefined;
    });
    const pilots = (await cluster.api("GET", "/api/v1/pilots")).body.pilots as Array<{ id: number; name: string }>;
    const pilotOf = (name: string | null) => pilots.find((p) => p.name === name)!.id;
    const forgedUpdates = running.map((j) => ({ jobId: j.id, attempt: j.attempts, state: "failed", error: { code: "user_error", message: "forged by mallory" } }));
    const report = (taskId: number, pilot: number, updates: object[]) =>
      JSON.stringify({ v: 1, kind: "report", task: taskId, pilot, successes: [], others: updates });
    const before = await metrics();

    // With his own login Mallory can send nothing: not a report, not a result.
    const sender = link(settings, "mallory-sender");
    links.push(sender);
    expect(await sender.waitConnected(5000)).toBe(true);
    const body = report(task.id, pilotOf(running[0]!.pilot), forgedUpdates);
    await expect(sender.publish(reportsQueue("pando"), body, { pando_sig: sign(theirs.key, body) }, 3000)).rejects.toThrow();
    const sender2 = link(settings, "mallory-sender-2");
    links.push(sender2);
    expect(await sender2.waitConnected(5000)).toBe(true);
    await expect(sender2.publish(resultsTopic("pando", task.channel), "forged", {}, 3000)).rejects.toThrow();

    // Past the broker's rules (a login that may send), a report signed with his own task's key, naming the
    // victim's pilot and jobs, is refused as forged.
    const server = link({ login: BROKER_USER, passcode: BROKER_PASSWORD, port }, "past-the-acl");
    links.push(server);
    expect(await server.waitConnected(5000)).toBe(true);
    await server.publish(reportsQueue("pando"), body, { pando_sig: sign(theirs.key, body) }, 5000);
    // So is the same report as a message of his own task, signed with its key.
    const own = report(theirs.id, pilotOf(running[0]!.pilot), forgedUpdates);
    await server.publish(reportsQueue("pando"), own, { pando_sig: sign(theirs.key, own) }, 5000);

    // A pilot of his own, signing with its genuine report key: every update of another pilot's attempt, of a
    // stale attempt, or of another task than the message's, is dropped and counted.
    const rogue = await cluster.api("POST", "/api/v1/pilots", { queue: "parked", name: "rogue" }, cluster.credentials.pilotToken);
    expect(rogue.status).toBe(201);
    const rogueKey = rogue.body.reportKey as string;
    const asRogue = async (taskId: number, updates: object[]) => {
      const b = report(taskId, rogue.body.id as number, updates);
      await server.publish(reportsQueue("pando"), b, { pando_sig: sign(rogueKey, b) }, 5000);
    };
    await asRogue(task.id, forgedUpdates);
    await asRogue(task.id, forgedUpdates.map((u) => ({ ...u, attempt: u.attempt + 1 })));
    await asRogue(theirs.id, forgedUpdates);
    await until("the forged reports to be dropped and counted", async () => {
      const m = await metrics();
      return dropped(m, "forged") >= dropped(before, "forged") + 2 &&
        refused(m, { via: "broker" }) >= refused(before, { via: "broker" }) + 6
        ? true
        : undefined;
    });
    const after = await metrics();
    for (const reason of ["other_pilot", "stale_attempt", "other_task"]) {
      expect(refused(after, { via: "broker", reason }), reason).toBeGreaterThanOrEqual(refused(before, { via: "broker", reason }) + 2);
    }
    // A report larger than the REST report's body limit is dropped unread: no JSON parse of whatever a login may send.
    const padded = [{ padding: "x".repeat(1_200_000) }];
    expect(report(task.id, rogue.body.id as number, padded).length).toBeGreaterThan(1024 * 1024);
    await asRogue(task.id, padded);
    await until("the oversized report to be dropped and counted", async () =>
      dropped(await metrics(), "oversized") >= dropped(before, "oversized") + 1 ? true : undefined,
    );

    // The victim's jobs never noticed: still running, then they end with their own values.
    expect((await jobsOf()).map((j) => j.state)).toEqual(["running", "running"]);
    writeFileSync(gate, "");
    const r = await victim;
    expect(r.code, r.stderr).toBe(0);
    const arrivals = r.value as Arrival[];
    expect(arrivals.map((a) => [a.ok, a.value]).sort()).toEqual([
      [true, SECRET],
      [true, SECRET + 1],
    ]);
    expect(arrivals.every((a) => a.via === "broker")).toBe(true);
    expect((await jobsOf()).every((j) => j.state === "finished" && j.attempts === 1)).toBe(true);

    // Mallory saw the victim's result messages go by, and could read none of them.
    const victims = await until("the victim's result messages to reach the eavesdropper", async () => {
      const seen = frames.filter((f) => f.headers.pando_task === String(task.id));
      return seen.length > 0 ? seen : undefined;
    });
    for (const f of frames) {
      expect(f.body).not.toContain(String(SECRET));
      expect(f.body).not.toContain(String(SECRET + 1));
      expect(Buffer.from(f.body, "base64").toString("latin1")).not.toContain(String(SECRET));
    }
    for (const f of victims) {
      expect(open(theirs.key, { taskId: task.id, channel: task.channel }, f.body)).toBeUndefined();
      expect(open(theirs.key, { taskId: theirs.id, channel: task.channel }, f.body)).toBeUndefined();
    }
  });
});

describe("a pilot reporting over REST", () => {
  let cluster: Cluster;
  let dir: string;

  beforeAll(async () => {
    cluster = await startCluster({ pilots: 2, slots: 2, broker: null, queues: [{ name: "local" }, { name: "parked", status: "brokeroff" }] });
    dir = mkdtempSync(join(tmpdir(), "pando-hostile-rest-"));
  });
  afterAll(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("changes only the attempts it holds: another pilot's and stale attempts are refused and counted", async () => {
    const { gate, victim, task } = await gatedVictim(cluster, dir);
    const jobsOf = async () => (await cluster.api("GET", `/api/v1/tasks/${task.id}/jobs`)).body.jobs as Array<{ id: number; state: string; attempts: number }>;
    const running = await until("both jobs to run", async () => {
      const jobs = await jobsOf();
      return jobs.length === 2 && jobs.every((j) => j.state === "running") ? jobs : undefined;
    });
    const rogue = await cluster.api("POST", "/api/v1/pilots", { queue: "parked", name: "rogue" }, cluster.credentials.pilotToken);
    expect(rogue.status).toBe(201);
    const forged = running.flatMap((j) => [
      { jobId: j.id, attempt: j.attempts, state: "finished", result: "666" },
      { jobId: j.id, attempt: j.attempts + 1, state: "failed", error: { code: "user_error", message: "forged" } },
    ]);
    const answer = await cluster.api("POST", `/api/v1/pilots/${rogue.body.id}/report`, { updates: forged }, cluster.credentials.pilotToken, {
      "x-pando-pilot-key": rogue.body.reportKey,
    });
    expect(answer).toMatchObject({ status: 200, body: { accepted: 0, ignored: 4 } });
    const m = await scrape(cluster.api);
    expect(refused(m, { via: "rest" })).toBe(4);
    expect(refused(m, { via: "rest", reason: "other_pilot" })).toBe(2);
    expect(refused(m, { via: "rest", reason: "stale_attempt" })).toBe(2);
    expect((await jobsOf()).map((j) => j.state)).toEqual(["running", "running"]);
    writeFileSync(gate, "");
    const r = await victim;
    expect(r.code, r.stderr).toBe(0);
    expect((r.value as Arrival[]).map((a) => a.value).sort()).toEqual([SECRET, SECRET + 1]);
  });
});
