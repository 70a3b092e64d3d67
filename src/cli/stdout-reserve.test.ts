import { Console } from "node:console";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { reserveStdout } from "./stdout-reserve.js";

function stream(): { stream: NodeJS.WriteStream; text: () => string } {
  const s = new PassThrough();
  let text = "";
  s.on("data", (c: Buffer) => (text += c.toString("utf8")));
  return { stream: s as unknown as NodeJS.WriteStream, text: () => text };
}

describe("reserveStdout", () => {
  it("keeps stdout for its writer alone: other writes, a console's too, go to stderr until restored", async () => {
    const out = stream();
    const err = stream();
    const reserved = reserveStdout(out.stream, err.stream);
    const driverConsole = new Console({ stdout: out.stream, stderr: err.stream });
    driverConsole.log("driver says hi");
    out.stream.write("written directly\n");
    reserved.write('{"value":9}\n');
    reserved.restore();
    out.stream.write("after\n");
    await new Promise((r) => setImmediate(r));
    expect(out.text()).toBe('{"value":9}\nafter\n');
    expect(err.text()).toBe("driver says hi\nwritten directly\n");
  });
});
