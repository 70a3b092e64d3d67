import { describe, expect, it } from "vitest";
import { sitesText } from "./sites-command.js";

describe("sitesText", () => {
  it("shows each site's state, its heartbeats, workers, pilots and queues", () => {
    const [header, row] = sitesText([
      { name: "cern", state: "silent", heartbeatAt: 0, lastHeardAt: 0, workers: 2, pilots: 1, queues: ["cern/cpu", "cern/gpu"] },
    ]).split("\n");
    expect(header).toMatch(/^SITE\s+STATE\s+AGENT HEARD\s+LAST HEARD\s+WORKERS\s+PILOTS\s+QUEUES$/);
    expect(row).toMatch(/^cern\s+silent\s+\d{4}-.*\s2\s+1\s+cern\/cpu, cern\/gpu$/);
  });

  it("says how a site appears when there is none", () => {
    expect(sitesText([])).toMatch(/^no sites/);
  });
});
