// A reader of server-sent events (text/event-stream) fed as the bytes arrive. The monitor reads
// the events endpoint with fetch() because EventSource cannot send the Authorization header.

export interface ServerSentEvent {
  event: string;
  data: string;
}

export class EventStreamParser {
  private buffer = "";
  private event = "";
  private data: string[] = [];
  /** The reconnection delay the server asked for (`retry:`), if it did. */
  retryMs: number | undefined;

  /** Takes the next piece of the stream (cut anywhere) and returns the events it completed. */
  push(chunk: string): ServerSentEvent[] {
    this.buffer += chunk;
    const events: ServerSentEvent[] = [];
    for (let nl = this.buffer.indexOf("\n"); nl >= 0; nl = this.buffer.indexOf("\n")) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, "");
      this.buffer = this.buffer.slice(nl + 1);
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  private line(line: string): ServerSentEvent | undefined {
    if (line === "") {
      const complete = this.data.length > 0 || this.event !== "";
      const event = { event: this.event || "message", data: this.data.join("\n") };
      this.event = "";
      this.data = [];
      return complete ? event : undefined;
    }
    if (line.startsWith(":")) return undefined; // a comment: the server's keep-alive
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") this.event = value;
    else if (field === "data") this.data.push(value);
    else if (field === "retry" && /^\d+$/.test(value)) this.retryMs = Number(value);
    return undefined;
  }
}
