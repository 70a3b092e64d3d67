import type { BrokerSettings } from "../api/pilots.js";
import type { AttemptUpdate } from "../core/dispatch-records.js";
import { toSettings, type BrokerConfig, type BrokerRole } from "../bus/broker-config.js";
import { ServerBridge } from "../bus/server-bridge.js";
import type { Principal } from "../store/auth-store.js";
import type { TaskChange } from "../store/task-store.js";
import type { ServerContext } from "./context.js";
import type { PilotKeys } from "./pilot-keys.js";

/** Records a pilot's attempt reports about one task that came through the broker (the dispatch service's). */
export type BrokerReports = (pilotId: number, taskId: number, updates: AttemptUpdate[]) => Promise<void>;

/**
 * The server's link to its broker and what it says about itself: pilots' reports come in through the
 * broker, and the final results drivers cannot have had from pilots go out (it listens to the event hub's
 * task changes); the broker settings clients use.
 */
export class BrokerService {
  private bridge: ServerBridge | undefined;

  constructor(
    private readonly ctx: ServerContext,
    /** The pilots' keys, which sign their reports. */
    private readonly keys: Pick<PilotKeys, "keyOf">,
  ) {}

  /** Connects the server to its broker; resolves once connected or after the first failed attempt (it keeps trying). */
  async connect(config: BrokerConfig, connectWaitMs: number, applyReports: BrokerReports): Promise<void> {
    const { store, metrics, log, events } = this.ctx;
    const bridge = new ServerBridge(
      config,
      {
        taskChannel: async (taskId) => {
          const info = await store.taskReads.info(taskId);
          return info?.channel && info.resultKey
            ? { channel: info.channel, key: info.resultKey, workflowId: info.workflowId }
            : undefined;
        },
        pilotKey: (pilotId) => this.keys.keyOf(pilotId),
        applyReports,
        dropped: (reason) => metrics.brokerMessageDropped(reason),
        maxMessageChars: this.ctx.config.maxRequestBytes,
      },
      log,
    );
    this.bridge = bridge;
    const missing = (["pilot", "driver"] as const).filter((role) => !config.accounts?.[role]);
    if (missing.length > 0) {
      log.warn(
        { roles: missing },
        `no broker account for ${missing.join(" nor ")}s (--broker-${missing[0]}-user): their results go over REST. ` +
          "The server's own login is never handed out; see docs/broker.md",
      );
    }
    events.onResults((changes) => this.relay(bridge, changes));
    await bridge.start(connectWaitMs);
  }

  /**
   * Publishes to the broker the final states drivers cannot have had from pilots directly: everything but
   * the successes pilots published themselves. Off the request path; a driver that misses them reads REST.
   */
  private relay(bridge: ServerBridge, changes: readonly TaskChange[]): void {
    if (!bridge.connected) return;
    const { store, metrics, log } = this.ctx;
    for (const c of changes) {
      if (c.seqTo <= c.seqFrom) continue;
      // A change of pilots' reports carries its outcomes; others' are read back.
      const outcomes = c.results ? Promise.resolve(c.results.outcomes) : store.taskReads.results(c.taskId, c.seqFrom, c.seqTo - c.seqFrom);
      void outcomes
        .then((all) => bridge.relay(c.taskId, all.filter((o) => !(o.via === "broker" && o.state === "finished"))))
        .then((sent) => sent && metrics.resultsRelayed())
        .catch((err: unknown) => log.warn({ err, taskId: c.taskId }, "relaying results failed"));
    }
  }

  status(): { connected: boolean; error: string | undefined } {
    return { connected: this.bridge?.connected ?? false, error: this.bridge?.link.lastError };
  }

  /**
   * The broker settings a caller uses: pilot tokens get the pilots' account, every other token the drivers'
   * account; null when results go over REST only (no broker, or no account for that role).
   */
  settings(p: Principal): BrokerSettings | null {
    return this.settingsFor(p.kind === "pilot" ? "pilot" : "driver");
  }

  /** The broker settings of one role. */
  settingsFor(role: BrokerRole): BrokerSettings | null {
    return this.bridge ? toSettings(this.bridge.config, role) : null;
  }

  async stop(): Promise<void> {
    await this.bridge?.stop();
  }
}
