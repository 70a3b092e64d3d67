import { randomBytes } from "node:crypto";
import pg from "pg";
import type { Logger } from "pino";
import type { Notifier } from "./notifier.js";
import { ReplicaPresence } from "./replica-presence.js";

const CHANNEL = "pando_wake";
/** The application name of every replica's listening connection: how replicas count each other. */
export const REPLICA_APPLICATION = "pando-replica";
/** PostgreSQL caps a NOTIFY payload at 8000 bytes. */
const MAX_PAYLOAD = 7000;
const RECONNECT_MS = 1000;

type Wake = [topic: string, count: number | null];

/**
 * What replicas say on the channel: wake-ups, or a replica arriving (hello) and the others answering it (ack).
 * Every message has its list of wake-ups, empty in a hello or an answer, as replicas before presence read it.
 */
type Message = { from: string; wakes: Wake[]; hello?: true; ack?: string };

export interface ReplicaBusOptions {
  /** How often the replicas on the database are counted, to notice that the others left. */
  presenceCheckMs?: number;
  /** How long a replica starting waits for the others to answer its hello before serving anyway. */
  helloWaitMs?: number;
}

/**
 * Wake-ups between server replicas sharing one PostgreSQL: what one replica notifies (new jobs on a queue,
 * results of a task, a pilot's kill order) reaches the long-polls waiting on the others, through
 * LISTEN/NOTIFY, batched per turn of the event loop. A NOTIFY is a commit (an fsync on a durable database),
 * so a replica alone on its database sends none: see ReplicaPresence for how it stays right the moment a
 * second one starts. Written by hand because it is a few lines over pg.
 */
export class ReplicaBus {
  private readonly id = randomBytes(6).toString("hex");
  private readonly sender: pg.Pool;
  private readonly presence: ReplicaPresence;
  private listener: pg.Client | undefined;
  private pending = new Map<string, number>();
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly notifier: Notifier,
    private readonly log: Logger,
    options: ReplicaBusOptions = {},
  ) {
    this.sender = new pg.Pool({ connectionString: url, max: 2 });
    this.sender.on("error", () => undefined);
    this.presence = new ReplicaPresence(
      {
        countOthers: () => this.countOthers(),
        hello: () => this.send({ from: this.id, hello: true, wakes: [] }),
        warn: (message) => this.log.warn(message),
      },
      { checkEveryMs: options.presenceCheckMs ?? 2000, helloWaitMs: options.helloWaitMs ?? 2000 },
    );
  }

  /** Listens, and learns which replicas are there (they learn of this one) before the server serves. */
  async start(): Promise<void> {
    await this.listen();
    this.notifier.relayTo((topic, count) => this.enqueue(topic, count));
  }

  /** Whether wake-ups go out through PostgreSQL: some other replica is listening. */
  get relaying(): boolean {
    return this.presence.othersAlive;
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: REPLICA_APPLICATION });
    client.on("notification", (msg) => this.receive(msg.payload));
    client.on("error", (err) => {
      this.log.warn({ err: err.message }, "replica wake-up connection lost; reconnecting");
      this.reconnect(client);
    });
    client.on("end", () => this.reconnect(client));
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.listener = client;
    // Also after a reconnection: replicas that started meanwhile may think this one gone.
    await this.presence.arrive();
  }

  private reconnect(client: pg.Client): void {
    if (this.stopped || this.listener !== client) return;
    this.listener = undefined;
    this.presence.lost();
    setTimeout(() => {
      if (this.stopped) return;
      this.listen().catch(() => this.reconnect(client));
    }, RECONNECT_MS).unref();
  }

  /** The other replicas' listening connections on this database; unknown (null) when they cannot be counted. */
  private async countOthers(): Promise<number | null> {
    const client = this.listener;
    if (!client) return null;
    try {
      const { rows } = await client.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND pid <> pg_backend_pid()",
        [REPLICA_APPLICATION],
      );
      return rows[0]?.n ?? null;
    } catch {
      return null;
    }
  }

  private receive(payload: string | undefined): void {
    if (!payload) return;
    let message: Message;
    try {
      message = JSON.parse(payload) as Message;
    } catch {
      return;
    }
    if (message.from === this.id) return;
    this.presence.heard();
    if (message.hello) void this.send({ from: this.id, ack: message.from, wakes: [] });
    if (message.ack === this.id) this.presence.acknowledged(message.from);
    for (const [topic, count] of message.wakes ?? []) this.notifier.wakeLocal(topic, count ?? Infinity);
  }

  private enqueue(topic: string, count: number): void {
    // Decided after the commit that caused the wake-up: see ReplicaPresence.
    if (!this.presence.othersAlive) return;
    this.pending.set(topic, Math.max(this.pending.get(topic) ?? 0, count));
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  private async send(message: Message): Promise<void> {
    await this.sender.query("SELECT pg_notify($1, $2)", [CHANNEL, JSON.stringify(message)]).catch((err: Error) =>
      this.log.warn({ err: err.message }, "could not wake the other replicas; they find the work on their next poll"),
    );
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const wakes: Wake[] = [...this.pending].map(([t, c]) => [t, Number.isFinite(c) ? c : null]);
    this.pending = new Map();
    let batch: Wake[] = [];
    let size = 0;
    const send = async () => {
      if (batch.length === 0) return;
      const message: Message = { from: this.id, wakes: batch };
      batch = [];
      size = 0;
      await this.send(message);
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
    this.presence.stop();
    this.notifier.relayTo(undefined);
    await this.listener?.end().catch(() => undefined);
    await this.sender.end().catch(() => undefined);
  }
}
