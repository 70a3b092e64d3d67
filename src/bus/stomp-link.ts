import { Client, type IMessage, type StompHeaders, type StompSubscription } from "@stomp/stompjs";
import { TCPWrapper } from "@stomp/tcp-wrapper";
import { createConnection, isIP, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import { clientSecurityFromEnv, isTlsFailure, tlsFailureMessage } from "../core/transport-security.js";
import type { BrokerConfig } from "./broker-config.js";
import { readCaFile } from "./ca-file.js";
import { describeStompError } from "./stomp-error.js";

export type BrokerFlavor = "activemq" | "rabbitmq" | "other";

export interface StompLinkOptions {
  /** Name used in error messages ("pilot 3", "server"…). */
  name: string;
  /** Delay before each reconnection attempt. */
  reconnectDelayMs?: number;
  /** STOMP heart-beats both ways; a silent broker is noticed after about twice this. */
  heartbeatMs?: number;
  /** How long a connection attempt may take. */
  connectTimeoutMs?: number;
}

export interface LinkState {
  connected: boolean;
  /** The last error, in words a user can act on ("the broker refused the credentials: …"). */
  error: string | undefined;
}

interface Wanted {
  destination: string;
  headers: StompHeaders;
  onMessage: (message: IMessage) => void;
  current: StompSubscription | undefined;
}

let receiptSeq = 0;
const SUBSCRIBE_RECEIPT_MS = 5000;

/**
 * A TCP socket without Nagle's algorithm: STOMP frames are small and each one is waited for (a receipt, a
 * result), so batching them for up to a delayed-ACK interval (about 40 ms) would show up as latency.
 */
class NoDelayTcp extends TCPWrapper {
  protected override getSocket(port: number, host: string): Socket {
    return createConnection({ port, host, noDelay: true });
  }
}

/** The TLS variant (stomp+ssl): the broker's certificate is verified, for its host name when it has one. */
function tlsSocketClass(ca: string | undefined): typeof TCPWrapper {
  return class NoDelayTls extends TCPWrapper {
    protected override getSocket(port: number, host: string): Socket {
      return connectTls({ port, host, ...(isIP(host) ? {} : { servername: host }), ...(ca === undefined ? {} : { ca }) }).setNoDelay(true);
    }
  };
}

/** The Node error behind a socket's error event, as @stomp/tcp-wrapper hands it on. */
function socketError(event: unknown): { code?: string; message: string } | undefined {
  const err = (event as { message?: unknown } | undefined)?.message;
  return err instanceof Error ? { code: (err as { code?: string }).code, message: err.message } : undefined;
}

/**
 * One STOMP connection to the broker(s) of a BrokerConfig, kept up by reconnecting (trying each endpoint in
 * turn), with subscriptions that are renewed on every reconnection and sends confirmed by receipts.
 * Built on @stomp/stompjs over TCP (@stomp/tcp-wrapper); this class only adds what both the pilot, the
 * server and the driver need on top: failover, resubscription, awaited receipts, state changes.
 */
export class StompLink {
  private readonly client: Client;
  private readonly wanted = new Set<Wanted>();
  private readonly listeners = new Set<(state: LinkState) => void>();
  private endpoint = 0;
  /** The broker the current connection goes to, for messages. */
  private current = "";
  private watchdog: NodeJS.Timeout | undefined;
  private state: LinkState = { connected: false, error: undefined };
  flavor: BrokerFlavor = "other";

  constructor(
    private readonly config: BrokerConfig,
    private readonly options: StompLinkOptions,
  ) {
    const heartbeat = options.heartbeatMs ?? 10_000;
    const caFile = config.caFile ?? clientSecurityFromEnv(process.env).caFile;
    const Socket = config.tls ? tlsSocketClass(caFile === undefined ? undefined : readCaFile(caFile)) : NoDelayTcp;
    this.client = new Client({
      webSocketFactory: () => {
        const e = config.endpoints[this.endpoint++ % config.endpoints.length]!;
        this.current = `${e.host.includes(":") ? `[${e.host}]` : e.host}:${e.port}`;
        return new Socket(e.host, e.port);
      },
      connectHeaders: {
        ...(config.login !== undefined ? { login: config.login } : {}),
        ...(config.passcode !== undefined ? { passcode: config.passcode } : {}),
        // RabbitMQ takes the virtual host from this header; ActiveMQ ignores it.
        host: "/",
      },
      heartbeatIncoming: heartbeat,
      heartbeatOutgoing: heartbeat,
      reconnectDelay: options.reconnectDelayMs ?? 1000,
      // stompjs's own connection timeout outlives deactivate() and would hold a finished program open for
      // seconds; this watchdog does the same job with a timer that does not keep the process alive.
      beforeConnect: () => {
        clearTimeout(this.watchdog);
        this.watchdog = setTimeout(() => {
          if (!this.client.connected) this.client.forceDisconnect();
        }, options.connectTimeoutMs ?? 5000);
        this.watchdog.unref();
      },
      debug: () => undefined,
    });
    this.client.onConnect = (frame) => {
      const server = frame.headers.server ?? "";
      this.flavor = /activemq/i.test(server) ? "activemq" : /rabbitmq/i.test(server) ? "rabbitmq" : "other";
      // "Connected" means the subscriptions are in place again too: anything sent afterwards reaches them.
      void Promise.all([...this.wanted].map((w) => this.subscribeConfirmed(w, SUBSCRIBE_RECEIPT_MS))).then(() =>
        this.setState({ connected: true, error: undefined }),
      );
    };
    this.client.onStompError = (frame) => {
      this.setState({ connected: false, error: describeStompError(frame.headers.message, frame.body) });
    };
    this.client.onWebSocketClose = () => {
      if (this.state.connected || this.state.error === undefined) {
        this.setState({ connected: false, error: this.state.error ?? "the connection to the broker closed" });
      }
    };
    this.client.onWebSocketError = (event: unknown) => {
      const err = socketError(event);
      // A certificate the link cannot trust is said as such: no retry will mend it.
      if (err && isTlsFailure(err.code)) {
        this.setState({ connected: false, error: tlsFailureMessage("the broker", this.current, err.code!, err.message) });
      } else if (!this.state.connected) {
        this.setState({ connected: false, error: this.state.error ?? "cannot reach the broker" });
      }
    };
  }

  get connected(): boolean {
    return this.state.connected;
  }

  get lastError(): string | undefined {
    return this.state.error;
  }

  onState(listener: (state: LinkState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private setState(state: LinkState): void {
    const changed = state.connected !== this.state.connected || state.error !== this.state.error;
    this.state = state;
    if (changed) for (const l of [...this.listeners]) l(state);
  }

  start(): void {
    this.client.activate();
  }

  /**
   * Resolves true once connected; false when the time is up or an attempt failed first (the link keeps
   * trying in the background either way).
   */
  waitConnected(timeoutMs: number): Promise<boolean> {
    if (this.state.connected) return Promise.resolve(true);
    if (this.state.error !== undefined) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve(false);
      }, timeoutMs);
      const off = this.onState((s) => {
        clearTimeout(timer);
        off();
        resolve(s.connected);
      });
    });
  }

  /** Sends a message and resolves when the broker confirms it has it (a receipt); rejects otherwise. */
  publish(destination: string, body: string, headers: StompHeaders, receiptTimeoutMs: number): Promise<void> {
    if (!this.state.connected) return Promise.reject(new Error(`not connected to the broker (${this.state.error ?? "connecting"})`));
    const receipt = `${this.options.name}-${process.pid}-${++receiptSeq}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the broker did not confirm a message within ${receiptTimeoutMs} ms`)), receiptTimeoutMs);
      this.client.watchForReceipt(receipt, () => {
        clearTimeout(timer);
        resolve();
      });
      try {
        this.client.publish({ destination, body, headers: { ...headers, receipt } });
      } catch (err) {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /**
   * Subscribes now if connected and again after every reconnection. Resolves once the broker confirmed the
   * first subscription (a receipt), so nothing sent afterwards can be missed while the link stays up.
   */
  async subscribe(
    destination: string,
    headers: StompHeaders,
    onMessage: (message: IMessage) => void,
    receiptTimeoutMs = 5000,
  ): Promise<{ unsubscribe(): void; confirmed: boolean }> {
    const w: Wanted = { destination, headers, onMessage, current: undefined };
    this.wanted.add(w);
    const unsubscribe = () => {
      this.wanted.delete(w);
      if (w.current && this.state.connected) w.current.unsubscribe();
      w.current = undefined;
    };
    if (!this.state.connected) return { unsubscribe, confirmed: false };
    return { unsubscribe, confirmed: await this.subscribeConfirmed(w, receiptTimeoutMs) };
  }

  /** Subscribes and resolves true when the broker confirmed it with a receipt (false on timeout). */
  private subscribeConfirmed(w: Wanted, timeoutMs: number): Promise<boolean> {
    const receipt = `${this.options.name}-${process.pid}-sub-${++receiptSeq}`;
    const confirmed = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
      this.client.watchForReceipt(receipt, () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    w.current = this.client.subscribe(w.destination, w.onMessage, { ...w.headers, receipt });
    return confirmed;
  }

  async stop(): Promise<void> {
    this.wanted.clear();
    this.listeners.clear();
    clearTimeout(this.watchdog);
    await this.client.deactivate();
  }
}
