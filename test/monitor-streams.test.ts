// The web monitor when the server holds as many of a token's streams as it takes: the page is refused for
// now (429), says it is reconnecting, and follows again once a place is free.
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./helpers/chromium.js";
import { startCluster, type Cluster } from "./helpers/cluster.js";

describe("the web monitor at the limit of a token's streams", () => {
  let cluster: Cluster;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    cluster = await startCluster({ pilots: 0, serverArgs: ["--max-waits-per-token", "1"] });
  });
  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
  });

  async function openPage() {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(`${cluster.url}/#token=${cluster.credentials.userToken}`);
    return page;
  }

  it("reconnects rather than giving up, and is live once the other page closed", async () => {
    const first = await openPage();
    await first.getByTestId("live").filter({ hasText: /^live$/ }).waitFor();
    const second = await openPage();
    await second.getByTestId("live").filter({ hasText: "reconnecting…" }).waitFor();
    expect(await second.getByTestId("live").textContent()).not.toBe("not live");
    await contexts[0]!.close();
    await second.getByTestId("live").filter({ hasText: /^live$/ }).waitFor();
  });
});
