// The Python helper (python/pando_job.py), run by python3 as a command would run it.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PYTHON_HELPER_DIR } from "./command-run.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pando-python-helper-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a Python program with the helper importable and a job's variables set; `args` is the job's argument list. */
function python(code: string, args: unknown = [], extraEnv: Record<string, string | undefined> = {}) {
  writeFileSync(join(dir, "args.json"), JSON.stringify(args));
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PYTHONPATH: PYTHON_HELPER_DIR,
    PYTHONDONTWRITEBYTECODE: "1",
    PANDO_ARGS: join(dir, "args.json"),
    PANDO_RESULT: join(dir, "result.json"),
    PANDO_WORK_DIR: dir,
    PANDO_JOB_ID: "12",
    PANDO_TASK_ID: "3",
    PANDO_WORKFLOW_ID: "1",
    PANDO_ATTEMPT: "2",
    PANDO_JOB_INDEX: "0",
    PANDO_JOB_KEY: "k1",
    PANDO_NON_RETRYABLE_EXIT: "87",
    ...extraEnv,
  };
  const r = spawnSync("python3", ["-c", code], { env, encoding: "utf8", cwd: dir });
  const resultFile = join(dir, "result.json");
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, result: existsSync(resultFile) ? (JSON.parse(readFileSync(resultFile, "utf8")) as unknown) : undefined };
}

describe("pando_job", () => {
  it("reads the job's arguments and its trailing options object", () => {
    const r = python(
      "import json, pando_job; print(json.dumps([pando_job.args(), pando_job.kwargs()]))",
      [{ x: 1.5 }, { rounds: 200 }],
    );
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([[{ x: 1.5 }, { rounds: 200 }], { rounds: 200 }]);
    const none = python("import json, pando_job; print(json.dumps(pando_job.kwargs()))", [1, 2]);
    expect(JSON.parse(none.stdout)).toEqual({});
  });

  it("tells which job it is", () => {
    const r = python("import json, pando_job; print(json.dumps(pando_job.job()))");
    expect(JSON.parse(r.stdout)).toEqual({ job_id: 12, task_id: 3, workflow_id: 1, attempt: 2, index: 0, key: "k1", work_dir: dir });
  });

  it("writes the result as JSON to $PANDO_RESULT, leaving no partial file", () => {
    const r = python("import pando_job; pando_job.result({'auc': 0.91, 'trees': [1, 2], 'ok': True, 'none': None})");
    expect(r.status, r.stderr).toBe(0);
    expect(r.result).toEqual({ auc: 0.91, trees: [1, 2], ok: true, none: null });
    expect(existsSync(join(dir, "result.json.partial"))).toBe(false);
  });

  it("refuses a result JSON cannot hold, naming where it is", () => {
    const nan = python("import pando_job; pando_job.result({'loss': float('nan')})");
    expect(nan.status).toBe(1);
    expect(nan.stderr).toContain("ValueError: result['loss'] is nan, which JSON cannot hold");
    const obj = python("import pando_job; pando_job.result([1, object()])");
    expect(obj.stderr).toContain("ValueError: result[1] is of type object, which JSON cannot hold");
    expect(nan.result).toBeUndefined();
  });

  it("fails with exit code 1, or 87 when the failure is not retryable, the message on stderr", () => {
    const retryable = python("import pando_job; pando_job.fail('the cluster was busy')");
    expect([retryable.status, retryable.stderr]).toEqual([1, "the cluster was busy\n"]);
    const not = python("import pando_job; pando_job.fail('x must be >= 0', retryable=False)");
    expect([not.status, not.stderr]).toEqual([87, "x must be >= 0\n"]);
    expect(python("import pando_job; print(pando_job.NON_RETRYABLE_EXIT)").stdout.trim()).toBe("87");
  });

  it("run() calls the function with the arguments and writes what it returns", () => {
    const r = python("import pando_job\ndef f(point, opts): return point['x'] * opts['k']\npando_job.run(f)", [{ x: 3 }, { k: 2 }]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.result).toBe(6);
  });

  it("run() fails without retries on NonRetryable and with retries on any other exception", () => {
    const bad = python("import pando_job\ndef f(x): raise pando_job.NonRetryable(f'x={x} is outside the domain')\npando_job.run(f)", [-1]);
    expect(bad.status).toBe(87);
    expect(bad.stderr).toBe("NonRetryable: x=-1 is outside the domain\n");
    const flaky = python("import pando_job\ndef f(x): raise RuntimeError('flaky')\npando_job.run(f)", [1]);
    expect(flaky.status).toBe(1);
    expect(flaky.stderr).toMatch(/Traceback[\s\S]*RuntimeError: flaky\nthe function raised an exception \(traceback above\)\n$/);
    expect(flaky.result).toBeUndefined();
  });

  it("says what is wrong when run outside a command work", () => {
    const r = python("import pando_job; pando_job.args()", [], { PANDO_ARGS: undefined });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("RuntimeError: $PANDO_ARGS is not set: this program is meant to be run by a Pando command work");
  });
});
