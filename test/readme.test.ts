// The README's first lines are what a newcomer runs: the two commands, and what the second needs.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/cluster.js";

/** How the README names each service scripts/test.sh installs. */
const SERVICE_NAMES: Record<string, string> = {
  activemq: "ActiveMQ",
  rabbitmq: "RabbitMQ",
  slurm: "Slurm",
  postgres: "PostgreSQL",
  chromium: "Chromium",
  capture: "tcpdump",
};

describe("the README's first commands", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const block = /```sh\n([\s\S]*?)```\n/.exec(readme)!;

  it("are the demo and the test suite, first of all", () => {
    expect(block[1]).toBe(
      "npm ci && npm run demo    # install, build, and run the HPO example on the embedded default (SQLite, local pilots)\n" +
        "npm ci && npm test        # install, then lint, type-check, build and pass the whole test suite\n",
    );
  });

  it("are followed by what the test command installs with apt-get, and that it needs root", () => {
    const note = readme.slice(block.index + block[0].length).trimStart().split("\n\n")[0]!;
    const installed = [...readFileSync(join(ROOT, "scripts", "test.sh"), "utf8").matchAll(/scripts\/services\/(\w+)\.sh install/g)].map((m) => m[1]!);
    expect(installed.length).toBeGreaterThan(0);
    for (const service of installed) {
      const name = SERVICE_NAMES[service];
      expect(name, `scripts/test.sh installs ${service}: name it in SERVICE_NAMES and in the README`).toBeDefined();
      expect(note).toContain(name!);
    }
    expect(note).toContain("apt-get");
    expect(note).toMatch(/\broot\b/);
    expect(note).toContain("sudo");
  });
});
