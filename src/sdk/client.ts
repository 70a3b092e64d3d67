import { apiCaller, type ApiCaller, type ApiTransport } from "../api/caller.js";
import type { ResultsQueryRequest, TaskResultsResponse } from "../api/results.js";
import type { SubmitTaskRequest, SubmitTaskResponse, TaskView } from "../api/tasks.js";
import type {
  CloseWorkflowRequest,
  CreateWorkflowRequest,
  CreateWorkflowResponse,
  DriverHeartbeatRequest,
  DriverHeartbeatResponse,
  PutStepRequest,
  ResumeWorkflowRequest,
  StepRecord,
  SuspendWorkflowRequest,
  WorkflowQueryRequest,
  WorkflowView,
} from "../api/workflows.js";
import type { BrokerSettings } from "../api/pilots.js";
import type { ClientSecurity } from "../core/transport-security.js";
import { HttpTransport } from "./http.js";

/**
 * What a driver needs from a Pando server: the API's calls a driver makes, with the retries each may have.
 * Over HTTP for a remote server (HttpPandoClient); the embedded server binds the same client to its
 * handlers in process (src/server/local-transport.ts).
 */
export interface PandoClient {
  readonly serverUrl: string;
  createWorkflow(req: CreateWorkflowRequest): Promise<CreateWorkflowResponse>;
  closeWorkflow(workflowId: number, req: CloseWorkflowRequest): Promise<WorkflowView>;
  /** With waitMs, waits up to that long for the workflow to end. */
  getWorkflow(workflowId: number, query?: WorkflowQueryRequest, signal?: AbortSignal): Promise<WorkflowView>;
  killWorkflow(workflowId: number): Promise<WorkflowView>;
  resumeWorkflow(workflowId: number, req: ResumeWorkflowRequest): Promise<CreateWorkflowResponse>;
  /**
   * A local driver tells the server it is alive, and learns whether its workflow still runs; with waitMs the
   * answer comes as soon as it stops running (killed, suspended, closed), or after waitMs.
   */
  driverHeartbeat(workflowId: number, req?: DriverHeartbeatRequest, signal?: AbortSignal): Promise<DriverHeartbeatResponse>;
  /** A local driver stops before its body ended: the workflow waits, suspended, for `pando run --resume`. */
  suspendWorkflow(workflowId: number, req: SuspendWorkflowRequest): Promise<WorkflowView>;
  steps(workflowId: number): Promise<StepRecord[]>;
  putStep(workflowId: number, seq: number, req: PutStepRequest): Promise<StepRecord>;
  submitTask(workflowId: number, req: SubmitTaskRequest): Promise<SubmitTaskResponse>;
  taskResults(taskId: number, query: ResultsQueryRequest, signal?: AbortSignal): Promise<TaskResultsResponse>;
  killTask(taskId: number): Promise<TaskView>;
  /** The broker the server's results travel through, or null when they go over REST only. */
  brokerSettings(): Promise<BrokerSettings | null>;
  hasBundle(hash: string): Promise<boolean>;
  putBundle(hash: string, content: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** Calls safe to repeat retry this long while the server cannot be reached (a restart, a replica gone). */
const RETRY_MS = 10_000;
const retry = { retryUnreachableMs: RETRY_MS };

/** The driver's client over any transport of the API. */
export class ApiPandoClient implements PandoClient {
  private readonly api: ApiCaller;

  constructor(
    private readonly transport: ApiTransport,
    /** The server's address (the replica talked to now, over HTTP). */
    private readonly url: () => string,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {
    this.api = apiCaller(transport);
  }

  get serverUrl(): string {
    return this.url();
  }

  createWorkflow(req: CreateWorkflowRequest): Promise<CreateWorkflowResponse> {
    return this.api.createWorkflow({ body: req });
  }

  closeWorkflow(workflowId: number, req: CloseWorkflowRequest): Promise<WorkflowView> {
    return this.api.closeWorkflow({ params: { id: workflowId }, body: req }, retry);
  }

  getWorkflow(workflowId: number, query: WorkflowQueryRequest = {}, signal?: AbortSignal): Promise<WorkflowView> {
    return this.api.getWorkflow({ params: { id: workflowId }, query }, { ...retry, signal });
  }

  killWorkflow(workflowId: number): Promise<WorkflowView> {
    return this.api.killWorkflow({ params: { id: workflowId } }, retry);
  }

  resumeWorkflow(workflowId: number, req: ResumeWorkflowRequest): Promise<CreateWorkflowResponse> {
    return this.api.resumeWorkflow({ params: { id: workflowId }, body: req }, retry);
  }

  driverHeartbeat(workflowId: number, req: DriverHeartbeatRequest = {}, signal?: AbortSignal): Promise<DriverHeartbeatResponse> {
    return this.api.driverHeartbeat({ params: { id: workflowId }, body: req }, { signal });
  }

  suspendWorkflow(workflowId: number, req: SuspendWorkflowRequest): Promise<WorkflowView> {
    return this.api.suspendWorkflow({ params: { id: workflowId }, body: req }, retry);
  }

  steps(workflowId: number): Promise<StepRecord[]> {
    return this.api.steps({ params: { id: workflowId } }, retry);
  }

  putStep(workflowId: number, seq: number, req: PutStepRequest): Promise<StepRecord> {
    return this.api.putStep({ params: { id: workflowId, seq }, body: req }, retry);
  }

  submitTask(workflowId: number, req: SubmitTaskRequest): Promise<SubmitTaskResponse> {
    return this.api.submitTask({ params: { id: workflowId }, body: req });
  }

  taskResults(taskId: number, query: ResultsQueryRequest, signal?: AbortSignal): Promise<TaskResultsResponse> {
    return this.api.taskResults({ params: { id: taskId }, query }, { ...retry, signal });
  }

  killTask(taskId: number): Promise<TaskView> {
    return this.api.killTask({ params: { id: taskId } });
  }

  async brokerSettings(): Promise<BrokerSettings | null> {
    return (await this.api.brokerSettings(undefined, retry)).broker;
  }

  hasBundle(hash: string): Promise<boolean> {
    return this.api.hasBundle({ params: { hash } });
  }

  async putBundle(hash: string, content: Uint8Array): Promise<void> {
    await this.api.putBundle({ params: { hash }, body: content }, retry);
  }

  close(): Promise<void> {
    return this.onClose();
  }
}

/** The driver's client of a server over HTTP. */
export class HttpPandoClient extends ApiPandoClient {
  /**
   * `servers`: one URL, or several replicas separated by commas (the client moves on when one is gone);
   * `security`: the CA file and plain-HTTP permission (default: PANDO_CA and PANDO_INSECURE_HTTP).
   */
  constructor(servers: string, token: string, security?: ClientSecurity) {
    const http = new HttpTransport(servers, token, security ? { security } : {});
    super(http, () => http.baseUrl, () => http.close());
  }
}
