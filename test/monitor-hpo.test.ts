// The monitor for hyperparameter searches in a real browser: a declared objective's direction decides the
// best value, the task page's table shows each job's arguments and results (sorted, columns chosen, kept in
// the address, exported as CSV), and the parameter view draws one point per finished job.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./helpers/chromium.js";
import { finishedWorkflow, ROOT, runDriver, startCluster, type Cluster } from "./helpers/cluster.js";
import { until } from "./helpers/until.js";

const SCREENSHOTS = join(ROOT, "test-artifacts", "monitor-hpo");

describe("the monitor for hyperparameter searches", () => {
  let cluster: Cluster;
  let browser: Browser;
  let page: Page;
  let workflowId: number;
  const pageFaults: string[] = [];
  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    browser = await launchChromium();
    cluster = await startCluster({ pilots: 1, slots: 4 });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on("pageerror", (err) => pageFaults.push(`page error: ${err.message}`));
    const run = await runDriver("test/fixtures/monitor-hpo.ts#scan", [], { url: cluster.url, token: cluster.credentials.userToken });
    expect(run.code, run.stderr).toBe(0);
    workflowId = run.workflowId!;
    await finishedWorkflow(cluster, workflowId);
    await page.goto(`${cluster.url}/#token=${cluster.credentials.userToken}`);
    await page.getByTestId("workflow-row").first().waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
  });

  afterEach(() => {
    expect(pageFaults.splice(0)).toEqual([]);
  });

  it("takes a declared minimised objective's lowest value as best, and shows each iteration's best", async () => {
    await page.goto(`${cluster.url}/#/workflows/${workflowId}`);
    await page.getByTestId("objective").waitFor();
    expect(await page.getByTestId("objective-summary").textContent()).toContain("chi2: lower is better (declared: minimize)");
    expect(await page.getByTestId("objective-best").textContent()).toBe("0.25");
    expect(await page.getByTestId("iteration-best-value").allTextContents()).toEqual(["1.25", "0.25"]);
    // Every value is above zero: the log axis is offered.
    await page.getByTestId("objective-log").check();
    expect(await page.getByTestId("objective").locator("figcaption").textContent()).toContain("log scale");
  });

  it("draws one point per finished job against a chosen parameter, the best one marked", async () => {
    const view = page.getByTestId("parameter-view");
    await view.waitFor();
    expect(await view.getByTestId("param-point").count()).toBe(7);
    expect(await view.getByTestId("param-best").count()).toBe(1);
    expect(await view.getByTestId("parameter-best").textContent()).toBe("0.25 at lr = 0.3");
    await view.getByTestId("param-picker").selectOption("opt");
    expect(await view.getByTestId("parameter-best").textContent()).toBe("0.25 at opt = adam");
    expect(await view.locator("circle").count()).toBe(8);
    await shot("workflow");
  });

  it("shows a task's arguments and results as columns, sorts, keeps its view in the address, and exports it", async () => {
    const tasks = (await cluster.api("GET", `/api/v1/workflows/${workflowId}`)).body.tasks as Array<{ id: number; seq: number }>;
    const second = tasks.find((t) => t.seq === 1)!.id;
    await page.goto(`${cluster.url}/#/tasks/${second}`);
    const rows = page.getByTestId("value-row");
    await until("the task's four jobs", async () => ((await rows.count()) === 4 ? true : undefined));
    const headers = async () => (await page.getByTestId("sort-column").allTextContents()).map((h) => h.replace(/ [▲▼]$/, ""));
    expect(await headers()).toEqual(["index", "state", "ended", "lr", "opt", "chi2", "auc"]);
    const column = (key: string) => rows.locator(`td[data-col="${key}"]`).allTextContents();

    await page.locator('[data-testid=sort-column][data-col="result:chi2"]').click();
    expect(await column("result:chi2")).toEqual(["0.25", "1", "1", "13.25"]);
    await page.locator('[data-testid=sort-column][data-col="result:chi2"]').click();
    expect(await column("result:chi2")).toEqual(["13.25", "1", "1", "0.25"]);
    expect(await column("arg:lr")).toEqual(["0.6", "0.15", "0.25", "0.3"]);

    await page.getByTestId("column-picker").locator("summary").click();
    await page.locator('[data-testid=column-picker] input[data-col="arg:opt"]').uncheck();
    await page.locator('[data-testid=column-picker] input[data-col="job:state"]').uncheck();
    expect(await headers()).toEqual(["index", "ended", "lr", "chi2", "auc"]);

    // A reload (or the link, shared) shows the same view.
    expect(page.url()).toContain("sort=-result%3Achi2");
    await page.reload();
    await until("the view to come back", async () => ((await rows.count()) === 4 ? true : undefined));
    expect(await headers()).toEqual(["index", "ended", "lr", "chi2", "auc"]);
    expect(await column("result:chi2")).toEqual(["13.25", "1", "1", "0.25"]);

    await shot("task");
    const download = page.waitForEvent("download");
    await page.getByTestId("export-csv").click();
    const csv = readFileSync((await (await download).path())!, "utf8").trim().split("\r\n");
    expect(csv[0]).toBe("index,ended,lr,chi2,auc");
    // Each line is a job as the API has it, in the table's order.
    const values = (await cluster.api("GET", `/api/v1/tasks/${second}/job-values`)).body.jobs as Array<{
      index: number;
      endedAt: number;
      args: { lr: number };
      result: { chi2: number; auc: number };
    }>;
    const expected = [...values]
      .sort((a, b) => b.result.chi2 - a.result.chi2 || a.index - b.index)
      .map((j) => [j.index, new Date(j.endedAt).toISOString(), j.args.lr, j.result.chi2, j.result.auc].join(","));
    expect(csv.slice(1)).toEqual(expected);
  });
});
