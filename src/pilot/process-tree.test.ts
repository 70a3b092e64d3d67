// The process tree of a real process group, read from /proc: what a job's kill and memory limit reach.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sleep } from "../core/sleep.js";
import { descendants, killTree, treeResidentMb } from "./process-tree.js";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat[stat.lastIndexOf(")") + 2] !== "Z";
  } catch {
    return false;
  }
}

const until = async (what: string, check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await sleep(25);
  if (!check()) throw new Error(`timed out waiting for ${what}`);
};

/** A detached shell (as a pilot starts an executor) with a child and a grandchild in a session of its own. */
async function tree() {
  const dir = mkdtempSync(join(tmpdir(), "pando-tree-"));
  dirs.push(dir);
  const script = 'sleep 60 & echo $! > "$1/child"; sh -c \'setsid sleep 60 & echo $! > "$1/session"; wait\' sh "$1" & wait';
  const leader = spawn("sh", ["-c", script, "sh", dir], { detached: true, stdio: "ignore" });
  await until("the tree to start", () => existsSync(join(dir, "child")) && existsSync(join(dir, "session")));
  const read = (f: string) => Number(readFileSync(join(dir, f), "utf8").trim());
  await until("the pids to be written", () => read("child") > 0 && read("session") > 0);
  return { leader: leader.pid!, child: read("child"), session: read("session") };
}

describe("the process tree", () => {
  it("finds every descendant, also one in a session of its own, and counts their memory", async () => {
    const t = await tree();
    try {
      const found = descendants(t.leader);
      expect(found).toContain(t.child);
      expect(found).toContain(t.session);
      expect(found).not.toContain(t.leader);
      const own = treeResidentMb(t.leader)!;
      expect(own).toBeGreaterThan(0);
      expect(treeResidentMb(2 ** 22 + 12345)).toBeUndefined();
    } finally {
      killTree(t.leader);
    }
  });

  it("kills the process, its group and its descendants", async () => {
    const t = await tree();
    killTree(t.leader);
    await until("every process of the tree to end", () => ![t.leader, t.child, t.session].some(alive));
  });
});
