import type { Logger } from "pino";
import { ENDPOINT_LIST } from "../api/endpoints.js";
import type { BrokerConfig } from "../bus/broker-config.js";
import type { Store } from "../store/store.js";
import { AccessGuard } from "./access-guard.js";
import { routeUrl } from "./api-routes.js";
import { BrokerService } from "./broker-service.js";
import { BundleService } from "./bundle-service.js";
import type { ServerConfig } from "./config.js";
import type { ServerContext } from "./context.js";
import { DispatchService } from "./dispatch-service.js";
import { EventHub } from "./events.js";
import { HeardSince } from "./heard-since.js";
import { ServerMetrics } from "./metrics.js";
import { JobValuesService } from "./job-values-service.js";
import { MonitorService } from "./monitor-service.js";
import type { Notifier } from "./notifier.js";
import { JobSharing } from "./job-sharing.js";
import { FullPilots } from "./full-pilots.js";
import { HeldReads } from "./held-reads.js";
import { QueueClaims } from "./queue-claims.js";
import { PilotHandoff } from "./pilot-handoff.js";
import { PilotHeartbeats } from "./pilot-heartbeats.js";
import { PilotKeys } from "./pilot-keys.js";
import { QueueService } from "./queue-service.js";
import { ReportRecorder } from "./report-recorder.js";
import { SiteService } from "./site-service.js";
import { timedStore } from "./timed-store.js";
import { TaskService } from "./task-service.js";
import { TokenService } from "./token-service.js";
import { WorkflowEnds } from "./workflow-ends.js";
import { WorkflowService } from "./workflow-service.js";

/** Everything the server does, independent of HTTP: one service per resource, sharing one context. */
export interface Services {
  readonly context: ServerContext;
  readonly guard: AccessGuard;
  readonly workflows: WorkflowService;
  readonly tasks: TaskService;
  readonly dispatch: DispatchService;
  readonly queues: QueueService;
  readonly sites: SiteService;
  readonly bundles: BundleService;
  readonly tokens: TokenService;
  readonly monitoring: MonitorService;
  readonly jobValues: JobValuesService;
  readonly broker: BrokerService;
  /** Has pilots of the queue warm executors for a context (see PilotHandoff.warm). */
  readonly handoff: PilotHandoff;
  /** Moves jobs waiting on a busy queue to an idle one their task may also run on. */
  readonly sharing: JobSharing;
  /** Connects the server to its broker: pilots' reports come in through it, final results go out. */
  useBroker(config: BrokerConfig, connectWaitMs: number): Promise<void>;
  /** Ends every long-poll at once and leaves the broker, so that the server can close without waiting. */
  stop(): Promise<void>;
  /**
   * Waits for the work that follows requests already answered (a workflow's status re-derived after its
   * tasks ended, a remote workflow closed after its driver): after the HTTP server closed, before the store does.
   */
  drain(): Promise<void>;
}

/**
 * The composition root: builds the shared context and each service with the siblings it needs, named. The
 * routes (handlers.ts) and the embedded server's in-process transport call these services only.
 */
export function createServices(store: Store, config: ServerConfig, notifier: Notifier, log: Logger): Services {
  const events = new EventHub(notifier);
  const metrics = new ServerMetrics(new Set(ENDPOINT_LIST.map(routeUrl)));
  const context: ServerContext = { store: timedStore(store, (operation) => metrics.storeOperation(operation)), config, log, metrics, events, heardSince: new HeardSince() };
  const guard = new AccessGuard(context);
  const queues = new QueueService(context);
  const handoff = new PilotHandoff(context);
  const keys = new PilotKeys(context);
  const bundles = new BundleService(context, handoff, keys);
  const ends = new WorkflowEnds(context, guard);
  const broker = new BrokerService(context, keys);
  const tasks = new TaskService(context, { guard, queues, bundles, handoff, ends });
  const workflows = new WorkflowService(context, { guard, queues, bundles, handoff, ends, tasks });
  metrics.readFrom({
    openJobs: () => context.store.monitor.openJobCounts(),
    livePilots: () => context.store.monitor.livePilotCounts(),
    brokerConnected: () => broker.status().connected,
  });
  const heartbeats = new PilotHeartbeats(context);
  const dispatch = new DispatchService(context, {
    guard,
    queues,
    handoff,
    full: new FullPilots(events),
    held: new HeldReads(context),
    claims: new QueueClaims(context),
    keys,
    heartbeats,
    reports: new ReportRecorder(context),
    ends,
    pilotBroker: () => broker.settingsFor("pilot"),
  });
  return {
    context,
    guard,
    workflows,
    tasks,
    dispatch,
    queues,
    sites: new SiteService(context, { guard, queues, dispatch }),
    bundles,
    tokens: new TokenService(context, guard),
    monitoring: new MonitorService(context, guard),
    jobValues: new JobValuesService(context, guard),
    broker,
    handoff,
    sharing: new JobSharing(context, { queues, handoff }),
    useBroker: (brokerConfig, connectWaitMs) =>
      broker.connect(brokerConfig, connectWaitMs, (pilotId, taskId, updates) => dispatch.applyBrokerReports(pilotId, taskId, updates)),
    stop: async () => {
      events.stop();
      await broker.stop();
      await heartbeats.stop();
    },
    drain: () => ends.drain(),
  };
}
