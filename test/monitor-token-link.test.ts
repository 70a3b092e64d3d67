// A `#token=` link never silently replaces the token the web monitor keeps: it asks, showing whose each is.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./helpers/chromium.js";
import { startCluster, type Cluster } from "./helpers/cluster.js";

describe("the web monitor and a link with another token", () => {
  let cluster: Cluster;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let alice: string;
  let mallory: string;

  const keptToken = () => page.evaluate(() => localStorage.getItem("pando.monitor.token"));

  beforeAll(async () => {
    browser = await launchChromium();
    cluster = await startCluster({ pilots: 0 });
    alice = (await cluster.api("POST", "/api/v1/tokens", { name: "alice-browser", user: "alice" })).body.token;
    mallory = (await cluster.api("POST", "/api/v1/tokens", { name: "mallory-link", user: "mallory" })).body.token;
    await cluster.api("POST", "/api/v1/workflows", { name: "alices-own" }, alice);
    context = await browser.newContext();
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
  });
  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
  });

  it("signs in from a link when the browser keeps no token", async () => {
    await page.goto(`${cluster.url}/#token=${alice}`);
    await page.getByTestId("workflow-row").first().waitFor();
    expect(await keptToken()).toBe(alice);
  });

  it("asks before another user's link replaces the kept token, and keeps it unless told otherwise", async () => {
    await page.goto(`${cluster.url}/#token=${mallory}`);
    await page.getByTestId("kept-owner").waitFor();
    expect(await page.getByTestId("kept-owner").textContent()).toBe("alice");
    expect(await page.getByTestId("handed-owner").textContent()).toBe("mallory");
    // The token left the address, and nothing was replaced yet.
    expect(new URL(page.url()).hash).toBe("#/");
    expect(await keptToken()).toBe(alice);
    await page.getByTestId("keep-token").click();
    await page.getByTestId("workflow-row").first().waitFor();
    expect(await keptToken()).toBe(alice);

    // The same link in the open tab (a hash change), and this time the user switches.
    await page.evaluate((t) => (location.hash = `#token=${t}`), mallory);
    await page.getByTestId("handed-owner").waitFor();
    await page.getByTestId("switch-to-token").click();
    await page.getByTestId("empty").filter({ hasText: "No workflows yet." }).waitFor();
    expect(await keptToken()).toBe(mallory);
  });
});
