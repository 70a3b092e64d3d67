// How the streaming answers are framed on the wire: JSON lines (a workflow's archive), and server-sent
// events (the change events pages follow). No zod here: the web monitor's bundle may import this file.

/** Sent first on an event stream: how long a client waits before reconnecting after the stream broke. */
export const EVENT_STREAM_HEAD = "retry: 2000\n\n";

/** The name of the event that tells a page to read what it shows again. */
export const CHANGE_EVENT = "change";

/** One event's frame; null is a keep-alive comment that keeps proxies from closing a quiet stream. */
export function eventFrame(data: unknown): string {
  return data === null ? ": keep-alive\n\n" : `event: ${CHANGE_EVENT}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function ndjsonLine(record: unknown): string {
  return `${JSON.stringify(record)}\n`;
}
