import type { EndpointName, ROUTES } from "../api/routes.js";
import type { HandlerInput, HandlerOutput } from "../api/endpoints.js";
import { openApiDocument } from "../api/openapi.js";
import type { Principal } from "../store/auth-store.js";
import { PANDO_VERSION } from "../version.js";
import type { MonitorService } from "./monitor-service.js";
import type { Service } from "./service.js";

/** Who calls: nobody in particular on a public endpoint, else the principal of the request's token. */
type Caller<N extends EndpointName> = (typeof ROUTES)[N]["access"] extends "public" ? null : Principal;

/** What serves one endpoint: its parsed input in, its answer out. `signal` fires when the caller goes away. */
export type Handler<N extends EndpointName> = (
  p: Caller<N>,
  input: HandlerInput<N>,
  signal: AbortSignal,
) => Promise<HandlerOutput<N>> | HandlerOutput<N>;

export type Handlers = { readonly [N in EndpointName]: Handler<N> };

/**
 * Every endpoint bound to the service method that serves it: the HTTP routes (api-routes.ts) and the
 * embedded server's in-process transport (local-transport.ts) both call these, after parsing the input with
 * the endpoint's schemas.
 */
export function handlers(service: Service, monitor: MonitorService): Handlers {
  const openapi = openApiDocument(PANDO_VERSION);
  return {
    health: () => ({ ok: true }),
    openApi: () => openapi,
    brokerSettings: (p) => ({ broker: service.brokerSettings(p) }),
    metrics: (p) => service.metricsSnapshot(p),

    createWorkflow: (p, { body }) => service.createWorkflow(p, body),
    getWorkflow: (p, { params, query }, signal) => service.getWorkflow(p, params.id, query, signal),
    closeWorkflow: (p, { params, body }) => service.closeWorkflow(p, params.id, body),
    killWorkflow: (p, { params }) => service.killWorkflow(p, params.id),
    retryWorkflow: (p, { params }) => service.retryWorkflow(p, params.id),
    resumeWorkflow: (p, { params, body }) => service.resumeWorkflow(p, params.id, body),
    suspendWorkflow: (p, { params, body }) => service.suspendWorkflow(p, params.id, body),
    driverHeartbeat: (p, { params, body }, signal) => service.driverHeartbeat(p, params.id, body, signal),
    steps: (p, { params }) => service.steps(p, params.id),
    putStep: (p, { params, body }) => service.putStep(p, params.id, params.seq, body),

    submitTask: (p, { params, body }) => service.submitTask(p, params.id, body),
    getTask: (p, { params }) => service.getTask(p, params.id),
    killTask: (p, { params }) => service.killTask(p, params.id),
    retryTask: (p, { params }) => service.retryTask(p, params.id),
    getJob: (p, { params }) => service.getJob(p, params.id),
    taskResults: (p, { params, query }, signal) => service.taskResults(p, params.id, query, signal),

    listWorkflows: (p, { query }) => monitor.listWorkflows(p, query),
    workflowErrors: (p, { params }) => monitor.workflowErrors(p, params.id),
    objective: (p, { params }) => monitor.objective(p, params.id),
    archiveWorkflow: (p, { params }) => monitor.archive(p, params.id),
    deleteWorkflow: (p, { params }) => monitor.deleteWorkflow(p, params.id),
    listJobs: (p, { params, query }) => monitor.listJobs(p, params.id, query),
    taskErrors: (p, { params }) => monitor.taskErrors(p, params.id),
    timeline: (p, { params, query }) => monitor.timeline(p, params.id, query),
    listPilots: (p, { query }) => monitor.listPilots(p, query),
    events: (p, { query }, signal) => monitor.changes(p, query, signal),

    putBundle: (p, { params, body }) => service.putBundle(p, params.hash, body),
    getBundle: (p, { params }) => service.getBundle(p, params.hash),
    hasBundle: (p, { params }) => service.hasBundle(p, params.hash),

    listQueues: (p) => service.listQueues(p),
    setQueueStatus: (p, { params, body }) => service.setQueueStatus(p, params.name, body),
    listWorkers: (p) => service.listWorkers(p),

    createToken: (p, { body }) => service.createToken(p, body),
    listTokens: (p, { query }) => monitor.listTokens(p, query),
    revokeToken: (p, { params }) => monitor.revokeToken(p, params.id),

    registerPilot: (p, { body }) => service.registerPilot(p, body),
    acquire: (p, { params, body }, signal) => service.acquire(p, params.id, body, signal),
    report: (p, { params, body }) => service.report(p, params.id, body),
    heartbeat: (p, { params, body }) => service.heartbeat(p, params.id, body),
    exitPilot: async (p, { params }) => {
      await service.endPilot(p, params.id);
      return { ok: true } as const;
    },
  };
}
