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
import type { PandoClient } from "../sdk/client.js";
import { PandoApiError } from "../sdk/http.js";
import type { Principal } from "../store/auth-store.js";
import { ApiError } from "./api-error.js";
import type { Service } from "./service.js";

/**
 * The embedded server's own driver talks to the service directly instead of over loopback HTTP: the same
 * validation, authorisation and errors, without the serialisation round trip.
 */
export class LocalPandoClient implements PandoClient {
  constructor(
    private readonly service: Service,
    private readonly principal: Principal,
    readonly serverUrl: string,
  ) {}

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ApiError) throw new PandoApiError(err.status, err.code, err.message);
      throw err;
    }
  }

  createWorkflow(req: CreateWorkflowRequest): Promise<CreateWorkflowResponse> {
    return this.call(() => this.service.createWorkflow(this.principal, req));
  }

  closeWorkflow(workflowId: number, req: CloseWorkflowRequest): Promise<WorkflowView> {
    return this.call(() => this.service.closeWorkflow(this.principal, workflowId, req));
  }

  getWorkflow(workflowId: number, query: WorkflowQuery = {}, signal?: AbortSignal): Promise<WorkflowView> {
    return this.call(() => this.service.getWorkflow(this.principal, workflowId, query, signal));
  }

  killWorkflow(workflowId: number): Promise<WorkflowView> {
    return this.call(() => this.service.killWorkflow(this.principal, workflowId));
  }

  resumeWorkflow(workflowId: number, req: ResumeWorkflowRequest): Promise<CreateWorkflowResponse> {
    return this.call(() => this.service.resumeWorkflow(this.principal, workflowId, req));
  }

  driverHeartbeat(workflowId: number, req: DriverHeartbeatRequest = {}, signal?: AbortSignal): Promise<DriverHeartbeatResponse> {
    return this.call(() => this.service.driverHeartbeat(this.principal, workflowId, req, signal));
  }

  suspendWorkflow(workflowId: number, req: SuspendWorkflowRequest): Promise<WorkflowView> {
    return this.call(() => this.service.suspendWorkflow(this.principal, workflowId, req));
  }

  steps(workflowId: number): Promise<StepRecord[]> {
    return this.call(() => this.service.steps(this.principal, workflowId));
  }

  putStep(workflowId: number, seq: number, req: PutStepRequest): Promise<StepRecord> {
    return this.call(() => this.service.putStep(this.principal, workflowId, seq, req));
  }

  submitTask(workflowId: number, req: SubmitTaskRequest): Promise<SubmitTaskResponse> {
    return this.call(() => this.service.submitTask(this.principal, workflowId, req));
  }

  taskResults(taskId: number, query: ResultsQuery, signal?: AbortSignal): Promise<TaskResultsResponse> {
    return this.call(() => this.service.taskResults(this.principal, taskId, query, signal));
  }

  killTask(taskId: number): Promise<TaskView> {
    return this.call(() => this.service.killTask(this.principal, taskId));
  }

  async brokerSettings(): Promise<BrokerSettings | null> {
    return this.service.brokerSettings(this.principal);
  }

  hasBundle(hash: string): Promise<boolean> {
    return this.call(() => this.service.hasBundle(this.principal, hash));
  }

  async putBundle(hash: string, content: Uint8Array): Promise<void> {
    await this.call(() => this.service.putBundle(this.principal, hash, content));
  }

  async close(): Promise<void> {}
}
