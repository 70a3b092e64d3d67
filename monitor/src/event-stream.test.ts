import { describe, expect, it } from "vitest";
import { EventStreamParser } from "./event-stream.js";

describe("EventStreamParser", () => {
  it("reads the server's change events, its retry delay, and skips keep-alive comments", () => {
    const parser = new EventStreamParser();
    const events = parser.push('retry: 2000\n\nevent: change\ndata: {"at":1}\n\n: keep-alive\n\n');
    expect(events).toEqual([{ event: "change", data: '{"at":1}' }]);
    expect(parser.retryMs).toBe(2000);
  });

  it("puts together events cut anywhere across chunks, CRLF lines too", () => {
    const parser = new EventStreamParser();
    const text = "event: change\r\ndata: a\r\ndata: b\r\n\r\nevent: change\ndata: c\n\n";
    const events = [...text].flatMap((ch) => parser.push(ch));
    expect(events).toEqual([
      { event: "change", data: "a\nb" },
      { event: "change", data: "c" },
    ]);
  });

  it("names events without an event field 'message'", () => {
    expect(new EventStreamParser().push("data: x\n\n")).toEqual([{ event: "message", data: "x" }]);
  });
});
