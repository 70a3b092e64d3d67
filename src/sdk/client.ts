import type {
  BrokerSettings,
  CloseWorkflowRequest,
  CreateWorkflowRequest,
  CreateWorkflowResponse,
  DriverHeartbeatRequest,
  DriverHeartbeatResponse,
  PutStepRequest,
  ResultsQuery,
  ResumeWorkflowRequest,
  StepRecord,
  SubmitTaskRequest,
  SubmitTaskResponse,
  SuspendWorkflowRequest,
  TaskResultsResponse,
  TaskView,
  WorkflowQuery,
  WorkflowView,
} from "../core/protocol.js";
import { HttpTransport, PandoApiError } from "./http.js";

/**
 * What a driver needs from a Pando server. Over HTTP for a remote server; the embedded server hands its
 * driver a direct implementation with the same behaviour.
 */
export interface PandoClient {
  readonly serverUrl: string;
  createWorkflow(req: CreateWorkflowRequest): Promise<CreateWorkflowResponse>;
  closeWorkflow(workflowId: number, req: CloseWorkflowRequest): Promise<WorkflowView>;
  /** With waitMs, waits up to that long for the workflow to end. */
  getWorkflow(workflowId: number, query?: WorkflowQuery, signal?: AbortSignal): Promise<WorkflowView>;
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
  taskResults(taskId: number, query: ResultsQuery, signal?: AbortSignal): Promise<TaskResultsResponse>;
  killTask(taskId: number): Promise<TaskView>;
  /** The broker the server's results travel through, or null when they go over REST only. */
  brokerSettings(): Promise<BrokerSettings | null>;
  hasBundle(hash: string): Promise<boolean>;
  putBundle(hash: string, content: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

const RETRY_MS = 10_000;

export class HttpPandoClient implements PandoClient {
  private readonly http: HttpTransport;

  /** `servers`: one URL, or several replicas separated by commas (the client moves on when one is gone). */
  constructor(servers: string, token: string) {
    this.http = new HttpTransport(servers, token);
  }

  /** The replica the client talks to now. */
  get serverUrl(): string {
    return this.http.baseUrl;
  }

  createWorkflow(req: CreateWorkflowRequest): Promise<CreateWorkflowResponse> {
    return this.http.json("POST", "/api/v1/workflows", req);
  }

  closeWorkflow(workflowId: number, req: CloseWorkflowRequest): Promise<WorkflowView> {
    return this.http.json("POST", `/api/v1/workflows/${workflowId}/close`, req, { retryUnreachableMs: RETRY_MS });
  }

  getWorkflow(workflowId: number, query: WorkflowQuery = {}, signal?: AbortSignal): Promise<WorkflowView> {
    const wait = query.waitMs ? `?waitMs=${query.waitMs}` : "";
    return this.http.json("GET", `/api/v1/workflows/${workflowId}${wait}`, undefined, {
      signal,
      retryUnreachableMs: RETRY_MS,
    });
  }

  killWorkflow(workflowId: number): Promise<WorkflowView> {
    return this.http.json("POST", `/api/v1/workflows/${workflowId}/kill`, {}, { retryUnreachableMs: RETRY_MS });
  }

  resumeWorkflow(workflowId: number, req: ResumeWorkflowRequest): Promise<CreateWorkflowResponse> {
    return this.http.json("POST", `/api/v1/workflows/${workflowId}/resume`, req, { retryUnreachableMs: RETRY_MS });
  }

  driverHeartbeat(workflowId: number, req: DriverHeartbeatRequest = {}, signal?: AbortSignal): Promise<DriverHeartbeatResponse> {
    return this.http.json("POST", `/api/v1/workflows/${workflowId}/heartbeat`, req, { signal });
  }

  suspendWorkflow(workflowId: number, req: SuspendWorkflowRequest): Promise<WorkflowView> {
    return this.http.json("POST", `/api/v1/workflows/${workflowId}/suspend`, req, { retryUnreachableMs: RETRY_MS });
  }

  steps(workflowId: number): Promise<StepRecord[]> {
    return this.http.json("GET", `/api/v1/workflows/${workflowId}/steps`, undefined, { retryUnreachableMs: RETRY_MS });
  }

  putStep(workflowId: number, seq: number, req: PutStepRequest): Promise<StepRecord> {
    return this.http.json("PUT", `/api/v1/workflows/${workflowId}/steps/${seq}`, req, { retryUnreachableMs: RETRY_MS });
  }

  submitTask(workflowId: number, req: SubmitTaskRequest): Promise<SubmitTaskResponse> {
    return this.http.json("POST", `/api/v1/workflows/${workflowId}/tasks`, req);
  }

  taskResults(taskId: number, query: ResultsQuery, signal?: AbortSignal): Promise<TaskResultsResponse> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v));
    return this.http.json("GET", `/api/v1/tasks/${taskId}/results?${q}`, undefined, {
      signal,
      retryUnreachableMs: RETRY_MS,
    });
  }

  killTask(taskId: number): Promise<TaskView> {
    return this.http.json("POST", `/api/v1/tasks/${taskId}/kill`, {});
  }

  async brokerSettings(): Promise<BrokerSettings | null> {
    const res = await this.http.json<{ broker: BrokerSettings | null }>("GET", "/api/v1/broker", undefined, {
      retryUnreachableMs: RETRY_MS,
    });
    return res.broker;
  }

  async hasBundle(hash: string): Promise<boolean> {
    try {
      await this.http.bytes("HEAD", `/api/v1/bundles/${hash}`);
      return true;
    } catch (err) {
      if (err instanceof PandoApiError && err.status === 404) return false;
      throw err;
    }
  }

  async putBundle(hash: string, content: Uint8Array): Promise<void> {
    await this.http.bytes("PUT", `/api/v1/bundles/${hash}`, content, { retryUnreachableMs: RETRY_MS });
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
