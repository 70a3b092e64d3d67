// The web monitor in a real browser (Chromium driven by playwright-core) against a real server, pilots and drivers.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./helpers/chromium.js";
import { CLI, ROOT, runDriver, startCluster, type Cluster, type DriverRun } from "./helpers/cluster.js";
import { until } from "./helpers/until.js";

const SCREENSHOTS = join(ROOT, "test-artifacts", "monitor");

describe("the web monitor", () => {
  let cluster: Cluster;
  let browser: Browser;
  let page: Page;
  let gates: string;
  /** Uncaught errors in the page and content-security-policy refusals: the monitor should have none. */
  const pageFaults: string[] = [];
  let searchId = 0;
  let search: DriverRun | undefined;

  const shot = (name: string, target: Page = page) => target.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  async function openContext(): Promise<{ context: BrowserContext; page: Page }> {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const p = await ctx.newPage();
    p.setDefaultTimeout(20_000);
    p.on("pageerror", (err) => pageFaults.push(`page error: ${err.message}`));
    p.on("console", (msg) => {
      if (msg.type() === "error" && /Content Security Policy/i.test(msg.text())) pageFaults.push(`CSP: ${msg.text()}`);
    });
    return { context: ctx, page: p };
  }

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    gates = mkdtempSync(join(tmpdir(), "pando-monitor-"));
    browser = await launchChromium();
    cluster = await startCluster({ pilots: 2, slots: 2 });
    ({ page } = await openContext());
  });

  afterAll(async () => {
    // Opening the gate lets a search still held by a failed test end before its server goes.
    if (gates) writeFileSync(join(gates, "search"), "");
    await search?.catch(() => undefined);
    await browser?.close();
    await cluster?.stop();
    if (gates) rmSync(gates, { recursive: true, force: true });
  });

  afterEach(() => {
    expect(pageFaults.splice(0)).toEqual([]);
  });

  it("is served without a token, while the API still needs one and answers unknown paths in JSON", async () => {
    const root = await fetch(`${cluster.url}/`);
    expect(root.status).toBe(200);
    expect(root.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await root.text();
    const script = /src="(assets\/main-[\w-]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${cluster.url}/${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect((await fetch(`${cluster.url}/assets/nothing.js`)).status).toBe(404);

    const anonymous = await cluster.api("GET", "/api/v1/workflows", undefined, null);
    expect(anonymous.status).toBe(401);
    const unknown = await cluster.api("GET", "/api/v1/no-such-thing");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("not_found");
  });

  it("asks for a token, refuses a wrong one with the server's message, and signs in with a pasted one", async () => {
    await page.goto(`${cluster.url}/`);
    await page.getByTestId("sign-in").waitFor();
    // Where a token comes from: the CLI's commands, not a raw API call.
    expect(await page.getByTestId("hint-monitor").textContent()).toContain("pando monitor prints a link to this page that signs you in");
    expect(await page.getByTestId("hint-token-create").textContent()).toContain("pando token create <name> makes a new token of yours");
    expect(await page.getByTestId("hint-token-create").textContent()).toContain("pando token create <name> --user <you>");
    expect(await page.getByTestId("sign-in").textContent()).not.toContain("/api/v1/tokens");
    await shot("sign-in");
    await page.getByLabel("Token").fill("pando_not-a-real-token");
    await page.getByTestId("sign-in-button").click();
    await page.getByTestId("sign-in-problem").filter({ hasText: "the bearer token is not valid" }).waitFor();

    await page.getByLabel("Token").fill(cluster.credentials.userToken);
    await page.getByTestId("sign-in-button").click();
    await page.getByRole("heading", { name: "Workflows" }).waitFor();
    await page.getByTestId("live").filter({ hasText: /^live$/ }).waitFor();
  });

  it("shows a new workflow in the table and follows its progress live, without reloading", async () => {
    await page.evaluate(() => Object.assign(window, { stillTheSamePage: true }));
    search = runDriver("test/fixtures/monitor.ts#search", ["3", join(gates, "search")], {
      url: cluster.url,
      token: cluster.credentials.userToken,
    });
    searchId = await search.started;
    const row = page.locator(`[data-testid=workflow-row][data-id="${searchId}"]`);
    await row.waitFor();
    expect(await row.getByTestId("workflow-name").textContent()).toBe("monitored-search");

    // Held at its gate, the workflow has every job but the publishing one done: the page shows that progress.
    const held = await until("the search to wait at its gate", async () => {
      const wf = await cluster.api("GET", `/api/v1/workflows/${searchId}`);
      const publish = wf.body.tasks.find((t: { work: string }) => t.work === "publish");
      return publish?.status === "running" && wf.body.tasks.every((t: { work: string; status: string }) => t.work === "publish" || t.status !== "running")
        ? wf.body
        : undefined;
    });
    expect(held.status).toBe("running");
    const listed = await cluster.api("GET", `/api/v1/workflows?fields=id,progress`);
    const heldProgress = listed.body.workflows.find((w: { id: number }) => w.id === searchId).progress as number;
    expect(heldProgress).toBeLessThan(100);
    const progress = row.getByTestId("progress");
    await progress.filter({ hasText: `${heldProgress}%` }).waitFor();
    expect(await row.getByTestId("status").textContent()).toBe("running");

    writeFileSync(join(gates, "search"), "");
    await progress.filter({ hasText: "100%" }).waitFor();
    await row.getByTestId("status").filter({ hasText: "finished" }).waitFor();
    expect(await page.evaluate(() => (window as unknown as { stillTheSamePage?: boolean }).stillTheSamePage)).toBe(true);
    await shot("workflows");
    const done = await search;
    expect(done.code, done.stderr).toBe(0);
  });

  it("shows a workflow's tasks in a table and as lanes, its objective per iteration, and its errors", async () => {
    await page.locator(`[data-testid=workflow-row][data-id="${searchId}"]`).getByTestId("workflow-name").click();
    await page.waitForURL(`**/#/workflows/${searchId}`);
    const rows = page.getByTestId("task-row");
    await until("seven task rows", async () => ((await rows.count()) === 7 ? true : undefined));
    const works = await page.getByTestId("task-work").allTextContents();
    expect(works.filter((w) => w === "train")).toHaveLength(3);
    expect(works.filter((w) => w === "check")).toHaveLength(3);
    expect(works).toContain("publish");
    expect(await page.getByTestId("task-bar").count()).toBe(7);

    const objective = page.getByTestId("objective-summary");
    expect(await objective.textContent()).toContain("loss: lower is better");
    // The loss is (x - 1.5)² / (iteration + 1): the best, 0.25 / 3, at x = 1 or 2 of the third iteration.
    expect(await page.getByTestId("objective-best").textContent()).toBe("0.0833333");

    const group = page.getByTestId("error-group");
    expect(await group.count()).toBe(1);
    expect(await group.getByTestId("error-message").textContent()).toBe("x=3 diverged: the loss is NaN");
    expect(await group.locator("td").first().textContent()).toBe("3");
    await shot("workflow");
  });

  it("opens a task with its timeline, errors and filtered jobs, then a failed job with its error and output", async () => {
    await page.getByTestId("task-row").filter({ hasText: "train" }).first().getByTestId("task-work").click();
    await page.getByTestId("timeline").waitFor();
    await page.getByTestId("job-row").first().waitFor();
    expect(await page.getByTestId("job-row").count()).toBe(5);
    expect(await page.getByTestId("fact-failed").locator("dd").textContent()).toBe("1");
    // What each job asked for, and how it is tried and dispatched.
    const fact = (name: string) => page.getByTestId(`fact-${name}`).locator("dd").textContent();
    expect(await fact("cores")).toBe("1 per job");
    expect(await fact("memory")).toBe("1,024 MiB per job");
    expect(await fact("walltime")).toBe("10 m 00 s per job");
    expect(await fact("max-attempts")).toBe("1");
    expect(await fact("priority")).toBe("5");

    await page.getByTestId("job-state-filter").selectOption({ label: "failed" });
    await until("only the failed job to be listed", async () => ((await page.getByTestId("job-row").count()) === 1 ? true : undefined));
    expect(await page.getByTestId("job-row").getByTestId("status").textContent()).toBe("failed");
    await page.getByTestId("error-group").getByTestId("error-message").filter({ hasText: "x=3 diverged: the loss is NaN" }).waitFor();
    await shot("task");

    await page.getByTestId("error-group").getByTestId("example-job").first().click();
    await page.getByTestId("job-error").waitFor();
    expect(await page.getByTestId("job-error").getByTestId("error-text").textContent()).toBe("x=3 diverged: the loss is NaN");
    expect(await page.getByTestId("job-error").getByTestId("stack").textContent()).toContain("Error: x=3 diverged: the loss is NaN");
    expect(await page.getByTestId("job-args").textContent()).toContain('"x": 3');
    const attempt = page.getByTestId("attempt");
    expect(await attempt.count()).toBe(1);
    expect(await attempt.getByTestId("stdout").textContent()).toBe("training x=3 in iteration 0\n");
    expect(await attempt.getByTestId("stderr").textContent()).toBe("x=3 left the stable region\n");
    await shot("job");
  });

  it("kills a long-running workflow from its page after asking", async () => {
    const run = runDriver("test/fixtures/monitor.ts#longRunning", ["2", "120000"], { url: cluster.url, token: cluster.credentials.userToken });
    const id = await run.started;
    await until("the long-running jobs to run", async () => {
      const wf = await cluster.api("GET", `/api/v1/workflows/${id}`);
      return wf.body.tasks[0]?.nRunning === 2 ? true : undefined;
    });
    await page.goto(`${cluster.url}/#/workflows/${id}`);
    const header = page.locator(".page-head");
    await header.getByTestId("status").filter({ hasText: "running" }).waitFor();
    const kill = page.getByTestId("kill-workflow");
    await kill.getByRole("button", { name: "Kill" }).click();
    expect(await kill.getByRole("group").getAttribute("aria-label")).toBe(`Kill workflow ${id} and every unfinished task?`);
    await kill.getByTestId("confirm").click();
    await kill.getByTestId("action-done").filter({ hasText: `workflow ${id} is cancelled` }).waitFor();
    await header.getByTestId("status").filter({ hasText: "cancelled" }).waitFor();
    await page.getByTestId("task-row").getByTestId("status").filter({ hasText: "cancelled" }).waitFor();
    expect((await cluster.api("GET", `/api/v1/workflows/${id}`)).body.status).toBe("cancelled");
    const ended = await run;
    expect(ended.code).not.toBe(0);
  });

  it("shows when and why a workflow was suspended, and offers Retry only then", async () => {
    const run = runDriver("test/fixtures/monitor.ts#longRunning", ["2", "120000"], { url: cluster.url, token: cluster.credentials.userToken });
    const id = await run.started;
    await until("its task to be submitted", async () => {
      const wf = await cluster.api("GET", `/api/v1/workflows/${id}`);
      return wf.body.tasks.length > 0 ? true : undefined;
    });
    await page.goto(`${cluster.url}/#/workflows/${id}`);
    const header = page.locator(".page-head");
    await header.getByTestId("status").filter({ hasText: "running" }).waitFor();
    expect(await page.getByTestId("retry-workflow").getByRole("button", { name: "Retry" }).isDisabled()).toBe(true);
    run.proc.kill("SIGINT");
    expect((await run).code).toBe(130);
    await header.getByTestId("status").filter({ hasText: "suspended" }).waitFor();
    await page.getByTestId("workflow-suspension").filter({ hasText: "the driver was stopped by SIGINT" }).waitFor();
    expect(await page.getByTestId("retry-workflow").getByRole("button", { name: "Retry" }).isEnabled()).toBe(true);
    await shot("workflow-suspended");
    expect((await cluster.api("POST", `/api/v1/workflows/${id}/kill`)).body.status).toBe("cancelled");
  });

  it("lists the queues and the pilots, and a site's queue with its site's state", async () => {
    // A site's queue that takes only tasks naming it, so that no other test's work lands there.
    const site = await cluster.api("POST", "/api/v1/tokens", { name: "monitor-site", site: "lab" });
    const registered = await cluster.api("PUT", "/api/v1/sites/lab", { queues: [{ name: "gpu", status: "brokeroff" }] }, site.body.token);
    expect(registered.status).toBe(200);
    await page.getByRole("link", { name: "Queues and pilots" }).click();
    await page.locator('[data-testid=queue-row][data-name="local"]').waitFor();
    await page.locator('[data-testid=queue-row][data-name="lab/gpu"] [data-testid=queue-site][data-state=online]').waitFor();
    await until("both pilots listed", async () => ((await page.getByTestId("pilot-row").count()) === 2 ? true : undefined));
    expect(await page.getByTestId("pilot-row").getByTestId("status").allTextContents()).toEqual(["running", "running"]);
    await shot("queues");
  });

  it("opens signed in from the link `pando monitor` prints", async () => {
    // The server and token come from the data directory, as on the server's own machine.
    const { PANDO_SERVER: _server, PANDO_TOKEN: _token, ...env } = process.env;
    const printed = spawnSync(process.execPath, [CLI, "monitor", "--data-dir", cluster.dataDir], { encoding: "utf8", env });
    expect(printed.status, printed.stderr).toBe(0);
    const link = printed.stdout.trim();
    expect(link).toBe(`${cluster.url}/#token=${cluster.credentials.userToken}`);

    const fresh = await openContext();
    try {
      await fresh.page.goto(link);
      await fresh.page.locator(`[data-testid=workflow-row][data-id="${searchId}"]`).waitFor();
      // The token is kept, and gone from the address.
      expect(new URL(fresh.page.url()).hash).toBe("#/");
    } finally {
      await fresh.context.close();
    }
  });

  it("shows another user none of these workflows, and the server's refusal on a direct link", async () => {
    const created = await cluster.api("POST", "/api/v1/tokens", { name: "bob-browser", user: "bob" });
    expect(created.status).toBe(201);
    const bob = await openContext();
    try {
      await bob.page.goto(`${cluster.url}/#token=${created.body.token}`);
      await bob.page.getByTestId("empty").filter({ hasText: "No workflows yet." }).waitFor();
      expect(await bob.page.getByTestId("workflow-row").count()).toBe(0);

      await bob.page.goto(`${cluster.url}/#/workflows/${searchId}`);
      const problem = bob.page.getByTestId("problem");
      await problem.waitFor();
      expect(await problem.locator("strong").textContent()).toBe("Not allowed");
      expect(await problem.getByTestId("problem-message").textContent()).toBe(
        `workflow ${searchId} belongs to another user; only its owner or an administrator may access it`,
      );

      await bob.page.getByTestId("sign-out").click();
      await bob.page.getByTestId("sign-in").waitFor();
      expect(await bob.page.evaluate(() => localStorage.length)).toBe(0);
    } finally {
      await bob.context.close();
    }
  });
});
