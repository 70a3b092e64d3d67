// Chromium for the monitor's browser tests, driven by playwright-core, from scripts/services/chromium.sh.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { ROOT } from "./cluster.js";

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Chromium from scripts/services/chromium.sh; a missing or broken browser fails the test and says why. */
export async function launchChromium(): Promise<Browser> {
  const found = spawnSync(join(ROOT, "scripts", "services", "chromium.sh"), ["path"], { encoding: "utf8" });
  if (found.status !== 0) {
    throw new Error(`the monitor's browser test needs Chromium, and none was found: ${found.stderr.trim() || found.error?.message}`);
  }
  const executablePath = found.stdout.trim();
  try {
    // playwright gives the browser a temporary profile of its own and removes it on close.
    return await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  } catch (err) {
    throw new Error(`Chromium (${executablePath}) did not start for the monitor's browser test: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}
