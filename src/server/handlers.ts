import type { EndpointName, ROUTES } from "../api/routes.js";
import type { HandlerInput, HandlerOutput } from "../api/endpoints.js";
import { openApiDocument } from "../api/openapi.js";
import type { Principal } from "../store/auth-store.js";
import { PANDO_VERSION } from "../version.js";
import type { Services } from "./services.js";

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
export function handlers(services: Services): Handlers {
  const { workflows, tasks, dispatch, queues, sites, bundles, tokens, monitoring: monitor, jobValues, broker } = services;
  const openapi = openApiDocument(PANDO_VERSION);
  return {
    health: () => ({ ok: true }),
    openApi: () => openapi,
    brokerSettings: (p) => ({ broker: broker.settings(p) }),
    metrics: () => services.context.metrics.exposition(),

    createWorkflow: (p, { body }) => workflows.createWorkflow(p, body),
    getWorkflow: (p, { params, query }, signal) => workflows.getWorkflow(p, params.id, query, signal),
    closeWorkflow: (p, { params, body }) => workflows.closeWorkflow(p, params.id, body),
    killWorkflow: (p, { params }) => workflows.killWorkflow(p, params.id),
    retryWorkflow: (p, { params }) => workflows.retryWorkflow(p, params.id),
    resumeWorkflow: (p, { params, body }) => workflows.resumeWorkflow(p, params.id, body),
    suspendWorkflow: (p, { params, body }) => workflows.suspendWorkflow(p, params.id, body),
    driverHeartbeat: (p, { params, body }, signal) => workflows.driverHeartbeat(p, params.id, body, signal),
    steps: (p, { params }) => workflows.steps(p, params.id),
    putStep: (p, { params, body }) => workflows.putStep(p, params.id, params.seq, body),

    submitTask: (p, { params, body }) => tasks.submitTask(p, params.id, body),
    getTask: (p, { params }) => tasks.getTask(p, params.id),
    killTask: (p, { params }) => tasks.killTask(p, params.id),
    retryTask: (p, { params }) => tasks.retryTask(p, params.id),
    getJob: (p, { params }) => tasks.getJob(p, params.id),
    taskResults: (p, { params, query }, signal) => tasks.taskResults(p, params.id, query, signal),

    listWorkflows: (p, { query }) => monitor.listWorkflows(p, query),
    workflowErrors: (p, { params }) => monitor.workflowErrors(p, params.id),
    objective: (p, { params }) => monitor.objective(p, params.id),
    workflowJobValues: (p, { params, query }) => jobValues.finishedOfWorkflow(p, params.id, query),
    archiveWorkflow: (p, { params }) => monitor.archive(p, params.id),
    deleteWorkflow: (p, { params }) => monitor.deleteWorkflow(p, params.id),
    listJobs: (p, { params, query }) => monitor.listJobs(p, params.id, query),
    taskJobValues: (p, { params, query }) => jobValues.ofTask(p, params.id, query),
    taskErrors: (p, { params }) => monitor.taskErrors(p, params.id),
    timeline: (p, { params, query }) => monitor.timeline(p, params.id, query),
    listPilots: (p, { query }) => monitor.listPilots(p, query),
    events: (p, { query }, signal) => monitor.changes(p, query, signal),

    putBundle: (p, { params, body }) => bundles.putBundle(p, params.hash, body),
    getBundle: (p, { params, query }) => bundles.getBundle(p, params.hash, query.pilot),
    hasBundle: (p, { params }) => bundles.hasBundle(p, params.hash),

    listQueues: (p) => queues.listQueues(p),
    setQueueStatus: (p, { params, body }) => queues.setQueueStatus(p, params.name, body),
    listWorkers: (p) => queues.listWorkers(p),

    listSites: (p) => sites.listSites(p),
    registerSite: (p, { params, body }) => sites.registerSite(p, params.name, body),
    siteDemand: (p, { params, body }, signal) => sites.demand(p, params.name, body, signal),
    createSiteWorker: (p, { params, body }) => sites.createWorker(p, params.name, body),
    updateSiteWorker: (p, { params, body }) => sites.updateWorker(p, params.name, params.id, body),

    createToken: (p, { body }) => tokens.createToken(p, body),
    listTokens: (p, { query }) => tokens.listTokens(p, query),
    revokeToken: (p, { params }) => tokens.revokeToken(p, params.id),

    registerPilot: (p, { body }) => dispatch.registerPilot(p, body),
    acquire: (p, { params, body }, signal) => dispatch.acquire(p, params.id, body, signal),
    report: (p, { params, body }) => dispatch.report(p, params.id, body),
    heartbeat: (p, { params, body }) => dispatch.heartbeat(p, params.id, body),
    exitPilot: async (p, { params }) => {
      await dispatch.endPilot(p, params.id);
      return { ok: true } as const;
    },
  };
}
