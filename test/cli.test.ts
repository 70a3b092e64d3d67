import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT, runDriver, startCluster, type Cluster } from "./helpers/cluster.js";
import { firstMarker } from "./helpers/markers.js";
import { until } from "./helpers/until.js";

const FIXTURE = "test/fixtures/core.ts";

describe("the monitoring commands: ls, show, logs, kill, retry and token", () => {
  let cluster: Cluster;
  let dir: string;
  let admin = "";
  const ids: Record<string, number> = {};

  /** Runs `pando <args> --server … --token …` (the administrator's token unless another is given). */
  const pando = (args: string[], token = cluster.credentials.userToken) => {
    const r = spawnSync(process.execPath, [CLI, ...args, "--server", cluster.url, "--token", token], { cwd: ROOT, encoding: "utf8" });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  /** Runs a command with --json and parses what it printed. */
  const json = (args: string[], token?: string) => {
    const r = pando([...args, "--json"], token);
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };
  const taskOf = (workflowId: number, work: string): { id: number } =>
    json(["show", String(workflowId)]).workflow.tasks.find((t: { work: string }) => t.work === work);

  beforeAll(async () => {
    cluster = await startCluster({ pilots: 2, slots: 2 });
    dir = mkdtempSync(join(tmpdir(), "pando-cli-"));
    const runs: Array<[string, string[]]> = [
      ["partial", []],
      ["logs", []],
      ["flagged", [join(dir, "missing-flag")]],
    ];
    await Promise.all(
      runs.map(async ([name, args]) => {
        const r = await runDriver(`${FIXTURE}#${name}`, args, { url: cluster.url, token: cluster.credentials.userToken });
        expect(r.code, r.stderr).toBe(0);
        ids[name] = r.workflowId!;
      }),
    );
    admin = (await cluster.api("GET", `/api/v1/workflows/${ids.partial}`)).body.user;
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("ls lists the workflows with their counts, filters them, and follows every page with --all", () => {
    const newestFirst = [ids.partial!, ids.logs!, ids.flagged!].sort((a, b) => b - a);
    const table = pando(["ls"]);
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout.split("\n")[0]).toMatch(/^ID\s+NAME\s+USER\s+STATUS\s+TASKS\s+JOBS\s+FINISHED\s+FAILED\s+PROGRESS\s+CREATED\s+ENDED$/);
    expect(table.stdout).toMatch(new RegExp(`^${ids.partial}\\s+partial\\s+${admin}\\s+subfinished\\s+finished:1 failed:2\\s+7\\s+3\\s+4\\s+100%\\s+\\d{4}-`, "m"));
    expect(table.stdout).toMatch(new RegExp(`^${ids.logs}\\s+logs\\s+${admin}\\s+finished\\s+done:1\\s+1\\s+1\\s+0\\s+100%`, "m"));

    const all = json(["ls"]);
    expect(all.next).toBeNull();
    expect(all.workflows.map((w: { id: number }) => w.id)).toEqual(newestFirst);
    expect(all.workflows.find((w: { id: number }) => w.id === ids.partial)).toMatchObject({
      name: "partial",
      status: "subfinished",
      tasks: { finished: 1, failed: 2 },
      nTasks: 3,
      nJobs: 7,
      nFinished: 3,
      nFailed: 4,
      progress: 100,
    });

    expect(json(["ls", "--status", "subfinished"]).workflows.map((w: { id: number }) => w.id).sort()).toEqual([ids.partial, ids.flagged].sort());
    expect(json(["ls", "--name", "PART*"]).workflows.map((w: { name: string }) => w.name)).toEqual(["partial"]);
    expect(json(["ls", "--since", "1h", "--user", admin]).workflows).toHaveLength(3);
    const none = pando(["ls", "--since", "1ms"]);
    expect(none.stdout).toBe("");
    expect(none.stderr).toBe("no workflows\n");

    const first = pando(["ls", "--limit", "1"]);
    expect(first.stdout.trim().split("\n")).toHaveLength(2);
    expect(first.stderr).toBe(`more: add --cursor ${newestFirst[0]} for the next page, or --all for every page\n`);
    const paged = json(["ls", "--limit", "1", "--all"]);
    expect(paged).toEqual({ workflows: all.workflows, next: null });
    expect(json(["ls", "--limit", "1", "--cursor", String(newestFirst[0])]).workflows[0].id).toBe(newestFirst[1]);
  });

  it("show gives a workflow with its tasks and error groups, a task's failed jobs, and a job's attempts", () => {
    const shown = pando(["show", String(ids.partial)]);
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`workflow ${ids.partial} (partial)\n`);
    expect(shown.stdout).toMatch(/^status\s+subfinished$/m);
    expect(shown.stdout).toMatch(/^TASK\s+WORK\s+SEQ\s+STATUS\s+JOBS\s+FINISHED\s+FAILED\s+RUNNING\s+PROGRESS\s+QUEUE$/m);
    expect(shown.stdout).toMatch(/^\d+\s+picky\s+0\s+finished\s+4\s+3\s+1\s+0\s+100%\s+local$/m);
    expect(shown.stdout).toMatch(/^\d+\s+fail\s+1\s+failed\s+2\s+0\s+2\s+0\s+100%\s+local$/m);
    expect(shown.stdout).toMatch(/^1\s+user_error\s+3 is the bad one\s+\d+$/m);
    expect(shown.stdout).toMatch(/^1\s+user_error\s+single boom\s+\d+$/m);

    const raw = json(["show", String(ids.partial)]);
    expect(raw.workflow).toMatchObject({ id: ids.partial, name: "partial", status: "subfinished", user: admin });
    expect(raw.workflow.tasks).toHaveLength(3);
    expect(raw.errors.map((g: { message: string }) => g.message).sort()).toEqual(["3 is the bad one", "a", "b", "single boom"]);

    const picky = taskOf(ids.partial!, "picky");
    const failed = pando(["show", "--task", String(picky.id), "--state", "failed"]);
    expect(failed.status, failed.stderr).toBe(0);
    expect(failed.stdout).toContain(`task ${picky.id} picky (workflow ${ids.partial})`);
    expect(failed.stdout).toMatch(/^\d+\s+2\s+failed\s+2\s+pilot-\d\s+\S+ \S+\s+\S+\s+user_error: 3 is the bad one$/m);
    expect(failed.stdout).not.toMatch(/^\d+\s+0\s+finished/m);
    const page = json(["show", String(ids.partial), "--task", String(picky.id), "--state", "failed"]);
    expect(page.task).toMatchObject({ id: picky.id, work: "picky", nJobs: 4, nFailed: 1 });
    expect(page.jobs).toHaveLength(1);
    expect(page.jobs[0]).toMatchObject({ index: 2, state: "failed", attempts: 2 });
    expect(page.next).toBeNull();
    expect(page.errors).toEqual([expect.objectContaining({ code: "user_error", message: "3 is the bad one", count: 1 })]);
    const firstTwo = json(["show", "--task", String(picky.id), "--limit", "2"]);
    expect(firstTwo.jobs.map((j: { index: number }) => j.index)).toEqual([0, 1]);
    expect(firstTwo.next).toBe(2);

    const jobId = page.jobs[0].id as number;
    const job = pando(["show", "--job", String(jobId)]);
    expect(job.stdout).toContain(`job ${jobId}, index 2 of task ${picky.id} (workflow ${ids.partial})`);
    expect(job.stdout).toMatch(/^args\s+\[ 3, 3 \]$/m);
    expect(job.stdout).toMatch(/^1\s+failed\s+pilot-\d.*user_error: 3 is the bad one/m);
    expect(job.stdout).toMatch(/^2\s+failed\s+pilot-\d.*user_error: 3 is the bad one/m);
    expect(json(["show", "--job", String(jobId)]).job.attempts).toHaveLength(2);
  });

  it("logs prints a job's stdout and stderr under headings", () => {
    const task = taskOf(ids.logs!, "noisy");
    const jobId = json(["show", "--task", String(task.id)]).jobs[0].id as number;
    const r = pando(["logs", String(jobId)]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^==> job ${jobId}, attempt 1 \\(finished on pilot-\\d\\): stdout <==\nline 0\nline 1\nline 2\n==> job ${jobId}, attempt 1: stderr <==\nto stderr\n$`),
    );
    expect(json(["logs", String(jobId), "--all"])).toEqual([
      expect.objectContaining({ attempt: 1, state: "finished", stdout: "line 0\nline 1\nline 2\n", stderr: "to stderr\n" }),
    ]);
    const missing = pando(["logs", String(jobId), "--attempt", "2"]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(`pando: job ${jobId} has no attempt 2 (its attempts: 1)\n`);
  });

  it("retry runs a suspended workflow's failed jobs again as new attempts, refuses an ended one, and says when there is nothing to retry", async () => {
    const ended = pando(["retry", String(ids.flagged)]);
    expect(ended.status).toBe(1);
    expect(ended.stderr).toBe(
      `pando: workflow ${ids.flagged} has ended (subfinished) and its driver is gone: nobody would read the results of jobs run again. Start a new run instead\n`,
    );

    // A driver stopped with Ctrl-C after a call with a failed job: its workflow is suspended, and can be retried.
    const flag = join(dir, "retry-flag");
    const gate = join(dir, "retry-gate");
    const driver = runDriver("test/fixtures/local-drivers.ts#retried", [flag, gate], { url: cluster.url, token: cluster.credentials.userToken });
    const id = await driver.started;
    await until("the second call to start", async () => {
      const w = (await cluster.api("GET", `/api/v1/workflows/${id}`)).body;
      return w.tasks.length === 2 ? w : undefined;
    });
    driver.proc.kill("SIGINT");
    expect((await driver).code).toBe(130);
    const task = taskOf(id, "flagStep");
    // The interrupted second call ends at once when it runs again.
    mkdirSync(gate, { recursive: true });
    writeFileSync(join(gate, "open"), "");

    const r = pando(["retry", String(id)]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`retried 2 jobs of workflow ${id}: each runs again as a new attempt\n`);
    const retried = await until("the retried job to end again", () => {
      const page = json(["show", "--task", String(task.id), "--state", "failed"]);
      return page.jobs[0]?.attempts === 2 ? page.jobs[0] : undefined;
    });
    expect(json(["show", "--job", String(retried.id)]).job.attempts.map((a: { attempt: number }) => a.attempt)).toEqual([1, 2]);

    writeFileSync(flag, "1");
    const one = pando(["retry", "--task", String(task.id)]);
    expect(one.stdout).toBe(`retried 1 job of task ${task.id}: each runs again as a new attempt\n`);
    await until("the task to be done", async () => ((await cluster.api("GET", `/api/v1/tasks/${task.id}`)).body.status === "done" ? true : undefined));
    const nothing = pando(["retry", String(id)]);
    expect(nothing.status).toBe(1);
    expect(nothing.stderr).toBe(`pando: workflow ${id} has no failed or cancelled jobs to retry\n`);
    expect(pando(["kill", String(id)]).stdout).toBe(`workflow ${id} (retried) cancelled: 0 unfinished tasks killed\n`);
  });

  it("kill cancels a running workflow and refuses one that has ended", async () => {
    const markers = join(dir, "markers");
    const driver = runDriver(`${FIXTURE}#survivors`, [markers, "4", "60000"], { url: cluster.url, token: cluster.credentials.userToken });
    const id = await driver.started;
    await firstMarker(markers);
    const running = pando(["ls", "--status", "running"]);
    expect(running.stdout).toMatch(new RegExp(`^${id}\\s+survivors\\s+\\S+\\s+running\\s+running:1\\s+4\\s+0\\s+0\\s+0%`, "m"));

    const killed = pando(["kill", String(id)]);
    expect(killed.status, killed.stderr).toBe(0);
    expect(killed.stdout).toBe(`workflow ${id} (survivors) cancelled: 1 unfinished task killed\n`);
    expect(json(["show", String(id)]).workflow).toMatchObject({ status: "cancelled", tasks: [expect.objectContaining({ status: "cancelled" })] });
    expect((await driver).code).toBe(1);

    const again = pando(["kill", String(id)]);
    expect(again.status).toBe(1);
    expect(again.stderr).toBe(`pando: workflow ${id} has already ended (cancelled); only running workflows can be killed\n`);
  });

  it("token creates, lists and revokes tokens; other users' workflows and revoked tokens are refused", () => {
    const created = pando(["token", "create", "laptop", "--user", "bob"]);
    expect(created.status, created.stderr).toBe(0);
    const bob = created.stdout.trim();
    expect(bob).toMatch(/^\S{20,}$/);
    expect(created.stderr).toBe("token 'laptop' of user bob: it is shown only this once\n");

    const listed = json(["token", "list", "--all"]) as Array<{ id: number; name: string; user: string; kind: string }>;
    const record = listed.find((t) => t.name === "laptop")!;
    expect(record).toMatchObject({ user: "bob", kind: "user", revokedAt: null });
    expect(JSON.stringify(listed)).not.toContain(bob);
    expect(pando(["token", "list", "--all"]).stdout).toMatch(new RegExp(`^${record.id}\\s+laptop\\s+bob\\s+user\\s+-\\s+-\\s+\\d{4}-\\S+ \\S+\\s+-\\s+-$`, "m"));

    const theirs = pando(["show", String(ids.partial)], bob);
    expect(theirs.status).toBe(1);
    expect(theirs.stderr).toBe(`pando: workflow ${ids.partial} belongs to another user; only its owner or an administrator may access it\n`);
    expect(json(["ls"], bob)).toEqual({ workflows: [], next: null });

    const revoked = pando(["token", "revoke", String(record.id)]);
    expect(revoked.stdout).toBe(`token ${record.id} ('laptop' of user bob) revoked\n`);
    expect(json(["token", "list", "--all", "--revoked"]).find((t: { id: number }) => t.id === record.id).revokedAt).toBeGreaterThan(0);
    const refused = pando(["ls"], bob);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe("pando: the bearer token is not valid (unknown or revoked)\n");
  });

  it("answers unknown ids with the server's message and exit code 1, malformed arguments with one line and exit code 2", () => {
    const unknown = pando(["show", "999999"]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toBe("pando: workflow 999999 does not exist\n");
    expect(pando(["logs", "999999"]).stderr).toBe("pando: job 999999 does not exist\n");

    const word = pando(["show", "abc"]);
    expect(word.status).toBe(2);
    expect(word.stdout).toBe("");
    expect(word.stderr.split("\n")[0]).toBe(
      "pando: command-argument value 'abc' is invalid for argument 'workflowId'. 'abc' is not a whole number of at least 1",
    );
    const state = pando(["show", "--task", "1", "--state", "sleeping"]);
    expect(state.status).toBe(2);
    expect(state.stderr).toContain("'sleeping' is not a job state; use one or more of defined, activated,");
    const nothing = pando(["show"]);
    expect(nothing.status).toBe(2);
    expect(nothing.stderr).toBe("pando: say what to show: pando show <workflowId>, pando show --task <id> or pando show --job <id>\n");
    const elsewhere = pando(["show", String(ids.logs), "--task", String(taskOf(ids.partial!, "picky").id)]);
    expect(elsewhere.status).toBe(2);
    expect(elsewhere.stderr).toMatch(new RegExp(`^pando: task \\d+ belongs to workflow ${ids.partial}, not to workflow ${ids.logs}\n$`));
  });
});

describe("pando run's command line: errors, arguments, output and what it tells", () => {
  const RUN_FIXTURE = "test/fixtures/run-cli.ts";
  let cluster: Cluster;

  /** Runs `pando <args>` from the repository, with extra environment; waits for its end. */
  const pando = (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, PANDO_LOG_LEVEL: "warn", PANDO_BROKER: "", ...env },
      timeout: 90_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  /** `pando run <target> <args> --server … --token …` on this suite's server. */
  const run = (target: string, args: string[] = []) =>
    pando(["run", target, ...args, "--server", cluster.url, "--token", cluster.credentials.userToken]);
  const startedId = (stderr: string) => Number(/workflow (\d+) \(/.exec(stderr)?.[1]);

  beforeAll(async () => {
    cluster = await startCluster({ pilots: 1, slots: 2 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("prints its version", () => {
    const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
    const r = pando(["--version"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
  });

  it("with --json keeps stdout for the JSON alone: the driver's output goes to stderr; plain words are strings", () => {
    const r = run(`${RUN_FIXTURE}#chatty`, ["hello", "42", '{"a":[1,"b"]}', '"2024-01-31"', "--json"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${JSON.stringify({ args: ["hello", 42, { a: [1, "b"] }, "2024-01-31"], sized: 2, plain: "X" })}\n`);
    expect(r.stderr).toContain("the driver talks on stdout\nand writes to it\n");
  });

  it("shows what a task's jobs asked for, its attempts and priority: in the API, the workflow's tasks and pando show --task", async () => {
    const r = run(`${RUN_FIXTURE}#chatty`, ["--json"]);
    expect(r.status, r.stderr).toBe(0);
    const workflow = (await cluster.api("GET", `/api/v1/workflows/${startedId(r.stderr)}`)).body;
    const sized = workflow.tasks.find((t: { work: string }) => t.work === "sized");
    const plain = workflow.tasks.find((t: { work: string }) => t.work === "plain");
    const stated = { cores: 1, memoryMb: 1024, walltimeS: 600, maxAttempts: 2, priority: 7 };
    expect(sized).toMatchObject(stated);
    expect(plain).toMatchObject({ cores: 1, memoryMb: 0, walltimeS: 0, maxAttempts: 3, priority: 0 });
    expect((await cluster.api("GET", `/api/v1/tasks/${sized.id}`)).body).toMatchObject(stated);

    const shown = pando(["show", "--task", String(sized.id), "--server", cluster.url, "--token", cluster.credentials.userToken]);
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^cores +1 per job$/m);
    expect(shown.stdout).toMatch(/^memory +1024 MiB per job$/m);
    expect(shown.stdout).toMatch(/^walltime +10m00s per job$/m);
    expect(shown.stdout).toMatch(/^max attempts +2 per job$/m);
    expect(shown.stdout).toMatch(/^priority +7$/m);
    expect(shown.stdout).toMatch(/^objective +loss, minimised$/m);
    const unstated = pando(["show", "--task", String(plain.id), "--server", cluster.url, "--token", cluster.credentials.userToken]);
    expect(unstated.stdout).toMatch(/^objective +not declared$/m);
    expect(unstated.stdout).toMatch(/^memory +not stated$/m);
    expect(unstated.stdout).toMatch(/^walltime +not stated$/m);
    const json = pando(["show", "--task", String(sized.id), "--json", "--server", cluster.url, "--token", cluster.credentials.userToken]);
    expect(JSON.parse(json.stdout).task).toMatchObject(stated);
  });

  it("gives an error as one pando: line, the stack with --verbose, and exit code 1", () => {
    const r = run(`${RUN_FIXTURE}#failsOnce`);
    expect(r.status).toBe(1);
    const last = r.stderr.trimEnd().split("\n").at(-1)!;
    expect(last).toMatch(
      new RegExp(
        `^pando: job (\\d+) of task \\d+ failed after 1 attempt: RangeError: 3 is out of range ` +
          `\\(--verbose prints the stack; pando show --job \\1 --server ${cluster.url} shows it\\)$`,
      ),
    );
    expect(r.stderr).not.toMatch(/^\s+at /m);

    const verbose = run(`${RUN_FIXTURE}#failsOnce`, ["--verbose"]);
    expect(verbose.status).toBe(1);
    expect(verbose.stderr).toMatch(/failed after 1 attempt: RangeError: 3 is out of range\nRangeError: 3 is out of range\n\s+at /);
  });

  it("refuses with exit code 2 a wrong export, a work named instead of a workflow, and an argument that looks like JSON but is not", () => {
    const missing = run(`${RUN_FIXTURE}#nope`);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe(`pando: ${RUN_FIXTURE} has no export 'nope' (its workflows: chatty, failsOnce)\n`);

    const aWork = run(`${RUN_FIXTURE}#sized`, ["1"]);
    expect(aWork.status).toBe(2);
    expect(aWork.stderr).toBe(
      `pando: 'sized' in ${RUN_FIXTURE} is a work, not a workflow: a work runs as a task inside a workflow, ` +
        "so call it from a workflow's body and run that (its workflows: chatty, failsOnce)\n",
    );

    const malformed = run(`${RUN_FIXTURE}#chatty`, ["fine", '{"eta": 0.1']);
    expect(malformed.status).toBe(2);
    expect(malformed.stderr).toMatch(/^pando: argument 2, '\{"eta": 0\.1', looks like JSON but is not valid JSON \(.+\); correct it, or pass it as text in JSON quotes: '"\{\\"eta\\": 0\.1"'\n$/);
  });

  it("says so, with exit code 2, when the program it ran called no workflow", () => {
    const r = run("test/fixtures/no-workflow.ts");
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      "pando: test/fixtures/no-workflow.ts called no workflow, so nothing ran: name the one to call: " +
        "pando run test/fixtures/no-workflow.ts#unused [args…] (its workflows: unused)\n",
    );
  });

  it("with --detach prints the id alone on stdout and how to follow the workflow on stderr (none with --quiet; JSON with --json)", async () => {
    const detached = run(`${RUN_FIXTURE}#chatty`, ["--remote", "--detach"]);
    expect(detached.status, detached.stderr).toBe(0);
    expect(detached.stdout).toMatch(/^\d+\n$/);
    const id = Number(detached.stdout);
    expect(detached.stderr).toContain(`workflow ${id} (chatty) submitted to ${cluster.url}; it runs there without this command. Follow it with:\n`);
    expect(detached.stderr).toMatch(new RegExp(`^  pando show ${id} --server ${cluster.url} --token <token> +its status, tasks and errors$`, "m"));
    expect(detached.stderr).toMatch(new RegExp(`^  pando ls --server ${cluster.url} --token <token> +every workflow$`, "m"));
    expect(detached.stderr).toMatch(new RegExp(`^  ${cluster.url}/#/workflows/${id} +its page in the web monitor`, "m"));

    const quiet = run(`${RUN_FIXTURE}#chatty`, ["--remote", "--detach", "--quiet"]);
    expect(quiet.stdout).toMatch(/^\d+\n$/);
    expect(quiet.stderr).toBe("");
    const json = run(`${RUN_FIXTURE}#chatty`, ["--remote", "--detach", "--json"]);
    const answer = JSON.parse(json.stdout) as { id: number };
    expect(answer).toEqual({ id: answer.id, monitorUrl: `${cluster.url}/#/workflows/${answer.id}`, serverUrl: cluster.url });

    for (const wf of [id, Number(quiet.stdout), answer.id]) {
      await until(`detached workflow ${wf} to finish`, async () =>
        (await cluster.api("GET", `/api/v1/workflows/${wf}`)).body.status === "finished" ? true : undefined,
      );
    }
  });

  it("prints the start-up lines the docs show, and a run on a data directory its server holds names it and the ways out", async () => {
    const home = mkdtempSync(join(tmpdir(), "pando-held-"));
    const server = spawn(process.execPath, [CLI, "server", "--port", "0", "--data-dir", ".pando"], {
      cwd: home,
      stdio: ["ignore", "pipe", "pipe"],
      // SQLite in the data directory, whatever store the suite runs on: that is what a run can find held.
      env: { ...process.env, PANDO_LOG_LEVEL: "info", PANDO_DB: "", PANDO_BROKER: "" },
    });
    try {
      let out = "";
      server.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
      const lines = await until("the server's start-up lines", () => (/^credentials: .*\n/m.test(out) ? out.split("\n").slice(0, 3) : undefined));
      const url = /^pando server listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(lines[1]!)?.[1];
      expect(url, out).toBeDefined();

      const guide = readFileSync(join(ROOT, "docs", "getting-started.md"), "utf8");
      const documented = guide
        .slice(guide.indexOf("pando server --port 8720\n"))
        .split("\n")
        .slice(1)
        .filter((l, i, all) => all.slice(0, i + 1).every((x) => x.startsWith("#   ")))
        .map((l) => l.slice(4));
      expect(documented).toHaveLength(3);
      const asDocumented = lines.map((l) => l.replace(url!, "http://127.0.0.1:8720"));
      const pattern = (doc: string) => new RegExp(`^${doc.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/…/g, "[^,]+")}$`);
      documented.forEach((doc, i) => expect(asDocumented[i]).toMatch(pattern(doc)));

      const dataDir = join(home, ".pando");
      const held = pando(["run", `${RUN_FIXTURE}#chatty`, "--data-dir", dataDir, "--pilots", "1"], { PANDO_DB: "" });
      expect(held.status).toBe(2);
      expect(held.stderr).toBe(
        `pando: the data directory ${dataDir} is in use by a Pando server (${url}, pid ${server.pid}): ` +
          `run on that server with --server ${url}, or give this run a data directory of its own with --data-dir <dir>\n`,
      );
    } finally {
      if (server.exitCode === null && server.signalCode === null) {
        const exited = new Promise((r) => server.once("exit", r));
        server.kill("SIGTERM");
        await exited;
      }
      rmSync(home, { recursive: true, force: true });
    }
  });
});
