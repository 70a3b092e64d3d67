import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { connectionDefaults, openFileLimit } from "./fd-limit.js";

const limitsFile = (maxOpenFiles: string) => {
  const file = join(mkdtempSync(join(tmpdir(), "pando-limits-")), "limits");
  writeFileSync(
    file,
    "Limit                     Soft Limit           Hard Limit           Units     \n" +
      "Max cpu time              unlimited            unlimited            seconds   \n" +
      `Max open files            ${maxOpenFiles}                 524288               files     \n`,
  );
  return file;
};

describe("the open-file limit", () => {
  it("reads the soft limit of this process", () => {
    expect(openFileLimit(limitsFile("1024"))).toBe(1024);
    expect(openFileLimit(limitsFile("unlimited"))).toBe(Number.MAX_SAFE_INTEGER);
    expect(openFileLimit("/nonexistent/limits")).toBe(1024);
  });

  it("keeps users' waits and pilots' acquires below it, apart, with room for short requests", () => {
    const d = connectionDefaults(1024);
    expect(d.maxConnections).toBe(960);
    expect(d.maxUserWaits + d.maxPilotWaits).toBeLessThan(d.maxConnections);
    expect(connectionDefaults(Number.MAX_SAFE_INTEGER).maxConnections).toBeLessThanOrEqual(1_000_000);
  });
});
