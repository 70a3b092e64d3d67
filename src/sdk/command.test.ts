// Command works in this process (outside any workflow, and in workflow({ distributed: false })): the same
// result and error rules as on a pilot. Work names start with "command." because the registry is global.
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { CodecError, CommandError, JobError, NonRetryableError, command, work, workflow, type Command, type MapResult } from "../index.js";

const local = <T>(name: string, body: () => Promise<T>) => workflow({ name: `command.${name}`, distributed: false }, body);

/** A Python one-liner as an exec'd command. */
const py = (code: string) => ["python3", "-c", code];

let root: string;
let savedRoot: string | undefined;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "pando-command-test-"));
  savedRoot = process.env.PANDO_WORK_ROOT;
  process.env.PANDO_WORK_ROOT = root;
});
afterAll(() => {
  if (savedRoot === undefined) delete process.env.PANDO_WORK_ROOT;
  else process.env.PANDO_WORK_ROOT = savedRoot;
  rmSync(root, { recursive: true, force: true });
});

async function jobErrorOf(p: PromiseLike<unknown>): Promise<JobError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof JobError) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}

describe("a command work's result", () => {
  const square = command({ name: "command.square" }, (_x: number): Command<number> => ({
    command: py("import pando_job; print('working…'); print(pando_job.args()[0] ** 2)"),
  }));
  const viaFile = command(
    { name: "command.viaFile" },
    (_point: { x: number }, _opts: { scale: number }): Command<{ y: number }> =>
      `python3 -c 'import pando_job; p, o = pando_job.args(); pando_job.result({"y": p["x"] * o["scale"]})'; echo done`,
  );

  it("is the last line of its output, parsed as JSON", async () => {
    expect(await square(7)).toBe(49);
    expect(await square.map([[1], [2], [3]])).toEqual([1, 4, 9]);
  });

  it("is the JSON in $PANDO_RESULT when the command wrote it, whatever it printed after", async () => {
    expect(await viaFile({ x: 2 }, { scale: 10 })).toEqual({ y: 20 });
  });

  it("is typed as the function declares it", () => {
    expectTypeOf(square).parameters.toEqualTypeOf<[_x: number]>();
    expectTypeOf(square(1).result()).resolves.toEqualTypeOf<number>();
    expectTypeOf(viaFile.map([[{ x: 1 }, { scale: 1 }]]).result()).resolves.toEqualTypeOf<Array<{ y: number }>>();
    const mapped = command({ name: "command.typed", mapResults: true }, (s: string): Command<string[]> => ["echo", s]);
    expectTypeOf(mapped.map([["a"]]).result()).resolves.toEqualTypeOf<MapResult<[s: string], string[]>>();
    const untyped = command({ name: "command.untyped" }, (n: number) => `echo ${n}`);
    expectTypeOf(untyped(1).result()).resolves.toEqualTypeOf<unknown>();
  });

  it("runs a string through /bin/sh and gives null for a command that prints nothing", async () => {
    const quiet = command({ name: "command.quiet" }, () => "true && test -d .");
    expect(await quiet()).toBeNull();
  });

  it("fails, not retried, when the last line is not JSON", async () => {
    const chatty = command({ name: "command.chatty" }, () => "echo AUC: 0.9");
    const e = await jobErrorOf(local("chatty", async () => chatty())());
    expect(e.code).toBe("unreadable_result");
    expect(e.attempts).toBe(1);
    expect(e.message).toMatch(/^the last line of the command's output, "AUC: 0.9", is not JSON/);
  });
});

describe("a command's environment and working directory", () => {
  const where = command({ name: "command.where" }, (tag: string): Command<Partial<Record<string, string>> & { cwd: string; args: string }> => ({
    command: py(
      "import json, os; keys = ['PANDO_ARGS', 'PANDO_RESULT', 'PANDO_WORK_DIR', 'PANDO_JOB_ID', 'PANDO_ATTEMPT', " +
        "'PANDO_JOB_INDEX', 'PANDO_JOB_KEY', 'PANDO_PYTHON_HELPER', 'PANDO_NON_RETRYABLE_EXIT', 'PYTHONPATH', 'TAG']; " +
        "d = {k: os.environ.get(k) for k in keys}; d['cwd'] = os.getcwd(); d['args'] = open(os.environ['PANDO_ARGS']).read(); print(json.dumps(d))",
    ),
    env: { TAG: tag, PYTHONPATH: "/opt/mine" },
  }));

  it("runs in a fresh directory under PANDO_WORK_ROOT, removed afterwards, with the job's variables", async () => {
    const [a, b] = await local("where", async () => where.map([["first"], ["second"]]))();
    for (const [v, tag, index] of [[a!, "first", "0"], [b!, "second", "1"]] as const) {
      expect(v.cwd).toBe(v.PANDO_WORK_DIR);
      expect(v.cwd.startsWith(join(root, "pando-job-0.1-"))).toBe(true);
      expect(v.PANDO_ARGS).toBe(join(v.cwd, ".pando-args.json"));
      expect(v.PANDO_RESULT).toBe(join(v.cwd, ".pando-result.json"));
      expect(JSON.parse(v.args)).toEqual([tag]);
      expect(v.TAG).toBe(tag);
      expect(v.PANDO_ATTEMPT).toBe("1");
      expect(v.PANDO_JOB_INDEX).toBe(index);
      expect(v.PANDO_JOB_KEY).toMatch(/\S/);
      expect(v.PANDO_NON_RETRYABLE_EXIT).toBe("87");
      expect(v.PANDO_PYTHON_HELPER!.endsWith(join("python", "pando_job.py"))).toBe(true);
      expect(existsSync(v.PANDO_PYTHON_HELPER!)).toBe(true);
      // The helper's folder comes first, then the command's own PYTHONPATH.
      expect(v.PYTHONPATH!.split(":")).toEqual([join(v.PANDO_PYTHON_HELPER!, ".."), "/opt/mine"]);
    }
    expect(a!.cwd).not.toBe(b!.cwd);
    expect(readdirSync(root)).toEqual([]);
  });
});

describe("a command work's failures", () => {
  const exits = command({ name: "command.exits", nonRetryableExitCodes: [3] }, (code: number) => [
    "sh",
    "-c",
    `echo "some output"; echo "step 1 ok" >&2; echo "bad point: code ${code}" >&2; exit ${code}`,
  ]);

  it("turns a non-zero exit into the job's error, with the exit code and the end of stderr, retried up to maxAttempts", async () => {
    const e = await jobErrorOf(local("exit2", async () => exits(2))());
    expect(e.code).toBe("command_failed");
    expect(e.exitCode).toBe(2);
    expect(e.attempts).toBe(3);
    expect(e.nonRetryable).toBeUndefined();
    expect(e.message).toBe(
      `the command \`sh -c 'echo "some output"; echo "step 1 ok" >&2; echo "bad point: code 2" >&2; exit 2'\` exited with code 2; ` +
        "the end of its stderr:\nstep 1 ok\nbad point: code 2",
    );
  });

  it("fails after one attempt on an exit code the work lists, and says why", async () => {
    const e = await jobErrorOf(local("exit3", async () => exits(3))());
    expect(e.attempts).toBe(1);
    expect(e.exitCode).toBe(3);
    expect(e.nonRetryable).toBe("exit code 3 is in the work's nonRetryableExitCodes");
    expect(e.message).toContain("exited with code 3 (not retried: exit code 3 is in the work's nonRetryableExitCodes)");
  });

  it("fails after one attempt when the Python helper's fail() says retryable=False", async () => {
    const helper = command({ name: "command.helperFail", maxAttempts: 5 }, (retryable: boolean) =>
      py(`import pando_job; pando_job.fail("the point is outside the domain", retryable=${retryable ? "True" : "False"})`),
    );
    const once = await jobErrorOf(local("helperFail", async () => helper(false))());
    expect(once.attempts).toBe(1);
    expect(once.exitCode).toBe(87);
    expect(once.message).toMatch(/\(not retried: the command declared its failure not retryable .*\); the end of its stderr:\nthe point is outside the domain$/);
    const retried = await jobErrorOf(local("helperFailRetried", async () => helper(true))());
    expect(retried.attempts).toBe(5);
    expect(retried.exitCode).toBe(1);
  });

  it("reports death by a signal", async () => {
    const dies = command({ name: "command.dies", maxAttempts: 1 }, () => "kill -SEGV $$");
    const e = await jobErrorOf(local("dies", async () => dies())());
    expect(e.signal).toBe("SIGSEGV");
    expect(e.message).toMatch(/was killed by SIGSEGV; it wrote nothing on stderr$/);
  });

  it("says so when the program does not exist", async () => {
    const missing = command({ name: "command.missing", maxAttempts: 1 }, () => ["pando-no-such-program", "x"]);
    const e = await jobErrorOf(local("missing", async () => missing())());
    expect(e.code).toBe("command_failed");
    expect(e.message).toMatch(/could not start: spawn pando-no-such-program ENOENT \(no program pando-no-such-program on the PATH/);
  });

  it("fails, not retried, when the function returns no valid command", async () => {
    const broken = command({ name: "command.broken" }, () => ({ cmd: "ls" }) as unknown as string);
    const e = await jobErrorOf(local("broken", async () => broken())());
    expect(e.code).toBe("bad_command");
    expect(e.attempts).toBe(1);
    expect(e.message).toMatch(/^command work 'command.broken' returned unknown field\(s\) 'cmd'/);
  });

  it("throws a CommandError from w.local()", async () => {
    const error = await exits.local(2).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CommandError);
    expect((error as CommandError).exitCode).toBe(2);
    expect((error as CommandError).code).toBe("command_failed");
  });
});

describe("arguments a command cannot read", () => {
  const echo = command({ name: "command.echoArgs" }, (value: unknown) => ["echo", JSON.stringify(value)]);

  it("are refused before anything runs, naming the value", () => {
    expect(() => echo({ when: new Date(0) })).toThrow(CodecError);
    expect(() => echo({ when: new Date(0) })).toThrow(
      /^command work 'command.echoArgs' passes its arguments to the command as JSON: args\[0\]\.when is a Date/,
    );
    expect(() => echo.map([[1], [{ n: Number.NaN }]])).toThrow(/entries\[1\]\[0\]\.n is NaN/);
    expect(readdirSync(root)).toEqual([]);
  });
});

describe("work() throwing a NonRetryableError", () => {
  class BadPoint extends NonRetryableError {}
  let calls = 0;
  const objective = work({ name: "command.nonRetryable", maxAttempts: 4 }, (kind: string) => {
    calls++;
    if (kind === "bad") throw new BadPoint("x is outside the domain");
    throw new Error("flaky");
  });

  it("fails after one attempt, saying it was not retried and why; other errors are retried", async () => {
    calls = 0;
    const bad = await jobErrorOf(local("nonRetryable", async () => objective("bad"))());
    expect(calls).toBe(1);
    expect(bad.attempts).toBe(1);
    expect(bad.code).toBe("user_error");
    expect(bad.remoteName).toBe("BadPoint");
    expect(bad.message).toBe("x is outside the domain (not retried: the work threw BadPoint, a NonRetryableError)");
    calls = 0;
    const flaky = await jobErrorOf(local("retried", async () => objective("flaky"))());
    expect(calls).toBe(4);
    expect(flaky.attempts).toBe(4);
  });
});
