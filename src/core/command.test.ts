import { describe, expect, it } from "vitest";
import { checkCommand, checkExitCodes, commandFailure, LastLine, NON_RETRYABLE_EXIT_CODE, readCommandResult, tailOf } from "./command.js";

describe("checkCommand", () => {
  it("runs a string through /bin/sh -c", () => {
    expect(checkCommand("python3 objective.py --x 1 | tail -1", "w")).toEqual({
      file: "/bin/sh",
      args: ["-c", "python3 objective.py --x 1 | tail -1"],
      env: {},
      display: "python3 objective.py --x 1 | tail -1",
    });
  });

  it("executes an array directly, showing it quoted as a shell would read it", () => {
    const c = checkCommand({ command: ["python3", "my script.py", "--x", "it's"], env: { OMP_NUM_THREADS: "1" } }, "w");
    expect(c).toEqual({
      file: "python3",
      args: ["my script.py", "--x", "it's"],
      env: { OMP_NUM_THREADS: "1" },
      display: "python3 'my script.py' --x 'it'\\''s'",
    });
  });

  it("shortens a long command in messages", () => {
    expect(checkCommand("x".repeat(500), "w").display).toHaveLength(200);
  });

  it.each<[unknown, RegExp]>([
    [undefined, /returned undefined/],
    [42, /returned number 42/],
    ["  ", /returned an empty command/],
    [[], /returned an empty command array/],
    [["python3", 3], /element 1 is number 3, not a string/],
    [[""], /program \(element 0\) is empty/],
    [{ cmd: "ls" }, /unknown field\(s\) 'cmd' \(known: command, env\)/],
    [{ command: "ls", env: { N: 1 } }, /env\.N that is number 1; environment variables are strings \(String\(x\)\)/],
    [{ command: "ls", env: ["A=1"] }, /env that is an array, not an object/],
    [{ command: "ls", env: { "A=B": "1" } }, /env variable named "A=B"/],
    [{ command: "ls", env: { PANDO_RESULT: "/tmp/x" } }, /sets PANDO_RESULT in env, which Pando sets for every command/],
    [{ command: { program: "ls" } }, /a command that is an object/],
  ])("refuses %j with a message that says what to return", (value, message) => {
    expect(() => checkCommand(value, "objective")).toThrow(message);
    expect(() => checkCommand(value, "objective")).toThrow(/^command work 'objective' .*must return a command line/);
  });
});

describe("checkExitCodes", () => {
  it("takes exit codes 1 to 255", () => {
    expect(checkExitCodes(undefined, "w")).toEqual([]);
    expect(checkExitCodes([1, 3, 255], "w")).toEqual([1, 3, 255]);
  });

  it.each([[[0]], [[256]], [[1.5]], ["3"], [[-1]]])("refuses %j", (codes) => {
    expect(() => checkExitCodes(codes, "w")).toThrow(/nonRetryableExitCodes must be a list of exit codes, whole numbers from 1 to 255/);
  });
});

describe("LastLine", () => {
  const lastOf = (chunks: string[], limit = 100) => {
    const l = new LastLine(limit);
    for (const c of chunks) l.push(c);
    return l.end();
  };

  it("keeps the last non-empty line, across chunks, trimmed", () => {
    expect(lastOf(["loading\n0.8", "7\n\n  \n"])).toEqual({ line: "0.87", tooLong: false });
    expect(lastOf(["a\r\n", '{"auc": 0.9}\r\n'])).toEqual({ line: '{"auc": 0.9}', tooLong: false });
    expect(lastOf(["first\nno newline at the end"])).toEqual({ line: "no newline at the end", tooLong: false });
  });

  it("has no line when nothing but blank lines was printed", () => {
    expect(lastOf([])).toEqual({ line: undefined, tooLong: false });
    expect(lastOf(["\n \n\t\n"])).toEqual({ line: undefined, tooLong: false });
  });

  it("remembers that the last line was too long, and forgets it when a later line is not", () => {
    expect(lastOf(["ok\n", "x".repeat(60), "y".repeat(60)], 100)).toEqual({ line: undefined, tooLong: true });
    expect(lastOf(["x".repeat(200), "\n1\n"], 100)).toEqual({ line: "1", tooLong: false });
  });
});

describe("readCommandResult", () => {
  const none = { line: undefined, tooLong: false };

  it("takes the result file first, whatever was printed", () => {
    expect(readCommandResult('{"auc": 0.91}', { line: "not json", tooLong: false }, 100)).toEqual({ ok: true, value: { auc: 0.91 } });
  });

  it("takes the last line as JSON when there is no result file", () => {
    expect(readCommandResult(undefined, { line: "0.87", tooLong: false }, 100)).toEqual({ ok: true, value: 0.87 });
    expect(readCommandResult(undefined, { line: '["a", 1]', tooLong: false }, 100)).toEqual({ ok: true, value: ["a", 1] });
  });

  it("gives null for a command that printed nothing", () => {
    expect(readCommandResult(undefined, none, 100)).toEqual({ ok: true, value: null });
  });

  it("fails a last line that is not JSON, quoting it and saying how to give a result", () => {
    const r = readCommandResult(undefined, { line: "AUC: 0.87", tooLong: false }, 100);
    expect(r).toMatchObject({ ok: false, error: { code: "unreadable_result" } });
    if (r.ok) throw new Error("expected a failure");
    expect(r.error.message).toBe(
      'the last line of the command\'s output, "AUC: 0.87", is not JSON: print the result as JSON on the last line ' +
        "(in Python json.dumps(value), or pando_job.result(value)), or write it as JSON to the file named by $PANDO_RESULT",
    );
  });

  it("fails a result file that is empty or not JSON", () => {
    expect(readCommandResult("", none, 100)).toMatchObject({ ok: false, error: { code: "unreadable_result", message: /empty result file/ } });
    const r = readCommandResult("{'auc': 1}", none, 100);
    expect(r).toMatchObject({ ok: false, error: { code: "unreadable_result" } });
    if (!r.ok) expect(r.error.message).toMatch(/^the command's result file \(\$PANDO_RESULT\) is not JSON \(.+\); it begins "\{'auc': 1\}"$/);
  });

  it("fails a last line over the limit as too large", () => {
    expect(readCommandResult(undefined, { line: undefined, tooLong: true }, 100)).toMatchObject({
      ok: false,
      error: { code: "payload_too_large", message: /longer than the 100-character limit of a result/ },
    });
  });
});

describe("commandFailure", () => {
  const exit = { display: "python3 objective.py", exitCode: 1, signal: null, stderrTail: "Traceback…\nValueError: x", nonRetryableExitCodes: [3] };

  it("says how the command ended and quotes the end of its stderr", () => {
    expect(commandFailure(exit)).toEqual({
      code: "command_failed",
      exitCode: 1,
      message: "the command `python3 objective.py` exited with code 1; the end of its stderr:\nTraceback…\nValueError: x",
    });
    expect(commandFailure({ ...exit, exitCode: null, signal: "SIGSEGV", stderrTail: "" })).toEqual({
      code: "command_failed",
      signal: "SIGSEGV",
      message: "the command `python3 objective.py` was killed by SIGSEGV; it wrote nothing on stderr",
    });
  });

  it("declares not retryable an exit code the work lists, saying so before the output", () => {
    const e = commandFailure({ ...exit, exitCode: 3 });
    expect(e.nonRetryable).toBe("exit code 3 is in the work's nonRetryableExitCodes");
    expect(e.message).toBe(
      "the command `python3 objective.py` exited with code 3 (not retried: exit code 3 is in the work's nonRetryableExitCodes); " +
        "the end of its stderr:\nTraceback…\nValueError: x",
    );
  });

  it("declares not retryable the helper's exit code, whatever the work lists", () => {
    const e = commandFailure({ ...exit, exitCode: NON_RETRYABLE_EXIT_CODE, nonRetryableExitCodes: [] });
    expect(e.nonRetryable).toMatch(/^the command declared its failure not retryable \(exit code 87/);
    expect(e.message).toContain("exited with code 87 (not retried: the command declared its failure not retryable");
  });

  it("leaves other failures retryable", () => {
    expect(commandFailure({ ...exit, exitCode: 2 }).nonRetryable).toBeUndefined();
    expect(commandFailure({ ...exit, exitCode: null, signal: "SIGKILL" }).nonRetryable).toBeUndefined();
  });
});

describe("tailOf", () => {
  it("keeps short text whole and cuts long text at a line start", () => {
    expect(tailOf("  one\ntwo\n\n", 100)).toBe("one\ntwo");
    expect(tailOf("line one\nline two\nline three", 15)).toBe("…\nline three");
    expect(tailOf("x".repeat(30), 10)).toBe(`…${"x".repeat(10)}`);
  });
});
