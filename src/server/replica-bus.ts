import { randomBytes } from "node:crypto";
import pg from "pg";
import type { Logger } from "pino";
import type { Notifier } from "./notifier.js";

const CHANNEL = "pando_wake";
/** PostgreSQL caps a NOTIFY payload at 8000 bytes. */
const MAX_PAYLOAD = 7000;
const RECONNECT_MS = 1000;

type Wake = [topic: string, count: number | null];

/**
 * Wake-ups between server replicas sharing one PostgreSQL: what one replica notifies (new jobs on a queue,
 * results of a task, a pilot's kill order) reaches the long-polls waiting on the others, through
 * LISTEN/NOTIFY, batched per turn of the event loop. Written by hand because it is a few lines over pg.
 */
export class ReplicaBus {
  private readonly id = randomBytes(6).toString("hex");
  private readonly sender: pg.Pool;
  private listener: pg.Client | undefined;
  private pending = new Map<string, number>();
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly notifier: Notifier,
    private readonly log: Logger,
  ) {
    this.sender = new pg.Pool({ connectionString: url, max: 2 });
    this.sender.on("error", () => undefined);
  }

  async start(): Promise<void> {
    await this.listen();
    this.notifier.relayTo((topic, count) => this.enqueue(topic, count));
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on("notification", (msg) => this.receive(msg.payload));
    client.on("error", (err) => {
      this.log.warn({ err: err.message }, "replica wake-up connection lost; reconnecting");
      this.reconnect(client);
    });
    client.on("end", () => this.reconnect(client));
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.listener = client;
  }

  private reconnect(client: pg.Client): void {
    if (this.stopped || this.listener !== client) return;
    this.listener = undefined;
    setTimeout(() => {
      if (this.stopped) return;
      this.listen().catch(() => this.reconnect(client));
    }, RECONNECT_MS).unref();
  }

  private receive(payload: string | undefined): void {
    if (!payload) return;
    let message: { from: string; wakes: Wake[] };
    try {
      message = JSON.parse(payload) as typeof message;
    } catch {
      return;
    }
    if (message.from === this.id) return;
    for (const [topic, count] of message.wakes) this.notifier.wakeLocal(topic, count ?? Infinity);
  }

  private enqueue(topic: string, count: number): void {
    this.pending.set(topic, Math.max(this.pending.get(topic) ?? 0, count));
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const wakes: Wake[] = [...this.pending].map(([t, c]) => [t, Number.isFinite(c) ? c : null]);
    this.pending = new Map();
    let batch: Wake[] = [];
    let size = 0;
    const send = async () => {
      if (batch.length === 0) return;
      const payload = JSON.stringify({ from: this.id, wakes: batch });
      batch = [];
      size = 0;
      await this.sender.query("SELECT pg_notify($1, $2)", [CHANNEL, payload]).catch((err: Error) =>
        this.log.warn({ err: err.message }, "could not wake the other replicas; they find the work on their next poll"),
      );
    };
    for (const w of wakes) {
      const length = w[0].length + 16;
      if (size + length > MAX_PAYLOAD) await send();
      batch.push(w);
      size += length;
    }
    await send();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.notifier.relayTo(undefined);
    await this.listener?.end().catch(() => undefined);
    await this.sender.end().catch(() => undefined);
  }
}
