import { decode } from "../codec/tagged-json.js";
import { numbers, objectiveValues, pick } from "../core/objective.js";
import {
  listJobsQuerySchema,
  listPilotsQuerySchema,
  listWorkflowsQuerySchema,
  timelineQuerySchema,
  type ErrorGroup,
  type JobPage,
  type ObjectiveSeries,
  type PilotPage,
  type PruneCounts,
  type TimelineView,
  type WorkflowPage,
} from "../core/protocol.js";
import { FINAL_TASK_STATUSES } from "../core/states.js";
import type { ArchiveRecord } from "../store/archive-store.js";
import type { Principal, TokenRecord } from "../store/auth-store.js";
import { ApiError, conflict, forbidden, notFound, parse } from "./api-error.js";
import type { Service } from "./service.js";

const MAX_ERROR_GROUPS = 50;
const OBJECTIVE_VALUES_PER_TASK = 1000;
const ENDED_TIMELINES = 200;

/** Keeps only the named fields of each item (`fields=id,name`), for large listings. */
function select<T extends object>(items: T[], fields: readonly string[] | undefined): T[] {
  if (!fields) return items;
  return items.map((item) => Object.fromEntries(fields.filter((f) => f in item).map((f) => [f, (item as Record<string, unknown>)[f]])) as T);
}

/**
 * What the monitor and the command line read and do beyond running workflows: listings with cursors,
 * error summaries, timelines, objective series, pilots, tokens, and archiving or deleting ended workflows.
 * Access rules are the service's: users see their own workflows, administrators everyone's.
 */
export class MonitorService {
  private readonly endedTimelines = new Map<string, TimelineView>();

  constructor(private readonly service: Service) {}

  private get store() {
    return this.service.store;
  }

  private requireUser(p: Principal, what: string): void {
    if (p.kind === "pilot") throw forbidden(`a pilot token cannot ${what}; use a user token`);
    if (p.workflowId !== null) throw forbidden(`this token is scoped to workflow ${p.workflowId} and cannot ${what}`);
  }

  async listWorkflows(p: Principal, query: unknown): Promise<WorkflowPage> {
    this.requireUser(p, "list workflows");
    const q = parse(listWorkflowsQuerySchema, query, "query");
    let userId: number | undefined = p.admin ? undefined : p.userId;
    if (q.user !== undefined && q.user !== p.userName) {
      if (!p.admin) throw forbidden(`only administrators may list the workflows of other users (here: '${q.user}')`);
      userId = await this.store.auth.userIdByName(q.user);
      if (userId === undefined) return { workflows: [], next: null };
    } else if (q.user !== undefined) {
      userId = p.userId;
    }
    const workflows = await this.store.monitor.listWorkflows({
      userId,
      statuses: q.status,
      name: q.name,
      createdAfter: q.createdAfter,
      createdBefore: q.createdBefore,
      endedBefore: q.endedBefore,
      before: q.cursor,
      limit: q.limit,
    });
    const next = workflows.length === q.limit ? workflows[workflows.length - 1]!.id : null;
    return { workflows: select(workflows, q.fields), next };
  }

  async listJobs(p: Principal, taskId: number, query: unknown): Promise<JobPage> {
    await this.service.authorizeTask(p, taskId);
    const q = parse(listJobsQuerySchema, query, "query");
    const jobs = await this.store.monitor.jobs(taskId, q.state, q.cursor, q.limit);
    const next = jobs.length === q.limit ? jobs[jobs.length - 1]!.index + 1 : null;
    return { jobs: select(jobs, q.fields), next };
  }

  async taskErrors(p: Principal, taskId: number): Promise<ErrorGroup[]> {
    await this.service.authorizeTask(p, taskId);
    return this.store.monitor.errorGroups([taskId], MAX_ERROR_GROUPS);
  }

  async workflowErrors(p: Principal, workflowId: number): Promise<ErrorGroup[]> {
    await this.service.authorizeWorkflow(p, workflowId);
    const view = await this.store.workflows.get(workflowId);
    if (!view) throw notFound("workflow", workflowId);
    return this.store.monitor.errorGroups(
      view.tasks.map((t) => t.id),
      MAX_ERROR_GROUPS,
    );
  }

  /** A timeline reads every job of its task; an ended task's never changes, so it is kept. */
  async timeline(p: Principal, taskId: number, query: unknown): Promise<TimelineView> {
    await this.service.authorizeTask(p, taskId);
    const q = parse(timelineQuerySchema, query, "query");
    const task = await this.store.tasks.get(taskId);
    // A retried task ends again later: its end time is part of the key.
    const key = `${taskId}:${q.buckets}:${task?.endedAt ?? "open"}`;
    const cached = this.endedTimelines.get(key);
    if (cached) return cached;
    const view = await this.store.monitor.timeline(taskId, q.buckets, Date.now());
    if (task && FINAL_TASK_STATUSES.has(task.status)) {
      if (this.endedTimelines.size >= ENDED_TIMELINES) this.endedTimelines.delete(this.endedTimelines.keys().next().value!);
      this.endedTimelines.set(key, view);
    }
    return view;
  }

  /** Numeric results per task: the objective per iteration of an optimisation. */
  async objective(p: Principal, workflowId: number): Promise<ObjectiveSeries> {
    await this.service.authorizeWorkflow(p, workflowId);
    const tasks = await this.store.monitor.finishedResults(workflowId, OBJECTIVE_VALUES_PER_TASK);
    const decoded = tasks.map((t) => ({ ...t, values: t.results.map(decodeQuietly) }));
    // One field for the whole workflow, chosen from its first result that has a number.
    const { field } = objectiveValues(decoded.flatMap((t) => t.values));
    return {
      field,
      tasks: decoded.map((t) => ({
        taskId: t.taskId,
        seq: t.seq,
        work: t.work,
        values: field === "" ? numbers(t.values) : pick(t.values, field),
      })),
    };
  }

  async listPilots(p: Principal, query: unknown): Promise<PilotPage> {
    if (p.kind === "workflow" || p.workflowId !== null) throw forbidden("a workflow's token cannot list pilots");
    const q = parse(listPilotsQuerySchema, query, "query");
    const pilots = await this.store.monitor.pilots({ status: q.status, queue: q.queue, before: q.cursor, limit: q.limit });
    return { pilots, next: pilots.length === q.limit ? pilots[pilots.length - 1]!.id : null };
  }

  // ---- tokens ----------------------------------------------------------------------------------------

  async listTokens(p: Principal, query: { all?: string; revoked?: string }): Promise<TokenRecord[]> {
    this.requireUser(p, "list tokens");
    const everyone = query.all === "true" || query.all === "1";
    if (everyone && !p.admin) throw forbidden("only administrators may list the tokens of every user");
    return this.store.auth.listTokens(everyone ? undefined : p.userId, query.revoked === "true" || query.revoked === "1");
  }

  async revokeToken(p: Principal, tokenId: number): Promise<TokenRecord> {
    this.requireUser(p, "revoke tokens");
    const token = await this.store.auth.token(tokenId);
    if (!token || (!p.admin && token.userId !== p.userId)) throw notFound("token", tokenId);
    if (token.kind === "pilot" && !p.admin) throw forbidden("only administrators may revoke pilot tokens");
    await this.store.auth.revokeToken(tokenId);
    this.service.forgetTokens();
    return (await this.store.auth.token(tokenId))!;
  }

  // ---- archiving and pruning ---------------------------------------------------------------------------

  /** Every row of a workflow, for an archive (JSON lines). */
  async archive(p: Principal, workflowId: number): Promise<AsyncGenerator<ArchiveRecord>> {
    this.requireUser(p, "archive workflows");
    await this.service.authorizeWorkflow(p, workflowId);
    return this.store.archive.records(workflowId);
  }

  /** Deletes an ended workflow's state; running ones are refused (409). */
  async deleteWorkflow(p: Principal, workflowId: number): Promise<PruneCounts> {
    this.requireUser(p, "delete workflows");
    await this.service.authorizeWorkflow(p, workflowId);
    const outcome = await this.store.archive.delete(workflowId);
    switch (outcome) {
      case "not_found":
        throw notFound("workflow", workflowId);
      case "not_ended":
        throw conflict(`workflow ${workflowId} has not ended; kill it first (pando kill ${workflowId}) or wait for it to end`);
      case "newest":
        throw conflict(
          `workflow ${workflowId} holds the newest ids of this SQLite database, which would be handed out again; ` +
            "it can be deleted once a newer workflow exists",
        );
      case "jobs_held":
        throw new ApiError(
          409,
          "jobs_held",
          `workflow ${workflowId} has jobs its pilots have not yet confirmed as stopped; try again in a few seconds`,
        );
      default:
        return outcome;
    }
  }
}

/** A result that does not decode (it never should) is left out of plots instead of failing the page. */
function decodeQuietly(text: string): unknown {
  try {
    return decode(text);
  } catch {
    return undefined;
  }
}
