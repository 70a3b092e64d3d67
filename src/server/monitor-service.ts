import { decode } from "../codec/tagged-json.js";
import { seriesValues } from "../core/objective.js";
import type {
  ArchiveRecord,
  ChangeEvent,
  ErrorGroup,
  EventsQuery,
  JobPage,
  ListJobs,
  ListPilots,
  ListWorkflows,
  ObjectiveSeries,
  PilotPage,
  PruneCounts,
  TimelineQuery,
  TimelineView,
  WorkflowPage,
} from "../api/monitoring.js";
import { sleep } from "../core/sleep.js";
import { FINAL_TASK_STATUSES } from "../core/states.js";
import type { Principal } from "../store/auth-store.js";
import { ApiError, conflict, forbidden, notFound } from "../api/errors.js";
import type { AccessGuard } from "./access-guard.js";
import type { ServerContext } from "./context.js";
import { Topics, type Topic } from "./events.js";

const MAX_ERROR_GROUPS = 50;
const OBJECTIVE_VALUES_PER_TASK = 1000;
const ENDED_TIMELINES = 200;
/** At most this many change events per second on one stream: a busy task changes thousands of times a second. */
const EVENT_INTERVAL_MS = 500;
/** A keep-alive this often keeps proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

/** Keeps only the named fields of each item (`fields=id,name`), for large listings. */
function select<T extends object>(items: T[], fields: readonly string[] | undefined): T[] {
  if (!fields) return items;
  return items.map((item) => Object.fromEntries(fields.filter((f) => f in item).map((f) => [f, (item as Record<string, unknown>)[f]])) as T);
}

/**
 * What the monitor and the command line read and do beyond running workflows: listings with cursors,
 * error summaries, timelines, objective series, pilots, change events, and archiving or deleting ended
 * workflows. Access rules are the guard's: users see their own workflows, administrators everyone's.
 */
export class MonitorService {
  private readonly endedTimelines = new Map<string, TimelineView>();

  constructor(
    private readonly ctx: Pick<ServerContext, "store" | "events">,
    private readonly guard: AccessGuard,
  ) {}

  private get store() {
    return this.ctx.store;
  }

  async listWorkflows(p: Principal, q: ListWorkflows): Promise<WorkflowPage> {
    this.guard.requireUser(p, "list workflows");
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

  async listJobs(p: Principal, taskId: number, q: ListJobs): Promise<JobPage> {
    await this.guard.authorizeTask(p, taskId);
    const jobs = await this.store.monitor.jobs(taskId, q.state, q.cursor, q.limit);
    const next = jobs.length === q.limit ? jobs[jobs.length - 1]!.index + 1 : null;
    return { jobs: select(jobs, q.fields), next };
  }

  async taskErrors(p: Principal, taskId: number): Promise<ErrorGroup[]> {
    await this.guard.authorizeTask(p, taskId);
    return this.store.monitor.errorGroups([taskId], MAX_ERROR_GROUPS);
  }

  async workflowErrors(p: Principal, workflowId: number): Promise<ErrorGroup[]> {
    await this.guard.authorizeWorkflow(p, workflowId);
    const view = await this.store.workflows.get(workflowId);
    if (!view) throw notFound("workflow", workflowId);
    return this.store.monitor.errorGroups(
      view.tasks.map((t) => t.id),
      MAX_ERROR_GROUPS,
    );
  }

  /** A timeline reads every job of its task; an ended task's never changes, so it is kept. */
  async timeline(p: Principal, taskId: number, q: TimelineQuery): Promise<TimelineView> {
    await this.guard.authorizeTask(p, taskId);
    const task = await this.store.taskReads.get(taskId);
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

  /**
   * Numeric results per task: the objective per iteration of an optimisation. The objective a task declared
   * names the field; without one, a field is chosen from the results (and the monitor says it guessed).
   */
  async objective(p: Principal, workflowId: number): Promise<ObjectiveSeries> {
    await this.guard.authorizeWorkflow(p, workflowId);
    const tasks = await this.store.monitor.finishedResults(workflowId, OBJECTIVE_VALUES_PER_TASK);
    const { field, declared, values } = seriesValues(tasks.map((t) => ({ objective: t.objective, results: t.results.map(decodeQuietly) })));
    return {
      field,
      declared,
      tasks: tasks.map((t, i) => ({ taskId: t.taskId, seq: t.seq, work: t.work, values: values[i]! })),
    };
  }

  async listPilots(p: Principal, q: ListPilots): Promise<PilotPage> {
    if (p.kind === "workflow" || p.workflowId !== null) throw forbidden("a workflow's token cannot list pilots");
    const pilots = await this.store.monitor.pilots({ status: q.status, queue: q.queue, before: q.cursor, limit: q.limit });
    return { pilots, next: pilots.length === q.limit ? pilots[pilots.length - 1]!.id : null };
  }

  // ---- change events -----------------------------------------------------------------------------------

  /**
   * "Something a page shows may have changed": for a task's page, a workflow's (its tasks too, new ones as
   * they come), or the listings (neither). Events come at most every EVENT_INTERVAL_MS; null is a
   * keep-alive after KEEPALIVE_MS without one. Access is checked before the stream starts.
   */
  async changes(p: Principal, q: EventsQuery, signal: AbortSignal): Promise<AsyncIterable<ChangeEvent | null>> {
    if (q.task !== undefined) await this.guard.authorizeTask(p, q.task);
    if (q.workflow !== undefined) await this.guard.authorizeWorkflow(p, q.workflow);
    // The listing's events tell of every workflow: a pilot's token or one scoped to a workflow gets none.
    if (q.task === undefined && q.workflow === undefined) this.guard.requireUser(p, "follow the workflow listing's change events (name ?workflow= or ?task=)");
    return this.changeStream(q, signal);
  }

  private async topics(q: EventsQuery): Promise<Topic[]> {
    if (q.task !== undefined) return [Topics.task(q.task)];
    if (q.workflow === undefined) return [Topics.workflows, Topics.progress];
    const view = await this.store.workflows.get(q.workflow);
    return [Topics.workflow(q.workflow), ...(view?.tasks ?? []).map((t) => Topics.task(t.id))];
  }

  private async *changeStream(q: EventsQuery, signal: AbortSignal): AsyncGenerator<ChangeEvent | null> {
    const events = this.ctx.events;
    let topics = await this.topics(q);
    // One subscription stays open across the pauses, so nothing that happens meanwhile is missed.
    let sub = events.subscribe(topics);
    try {
      while (!signal.aborted && !events.stopped) {
        const fired = await sub.wait(KEEPALIVE_MS, signal);
        if (signal.aborted || events.stopped) break;
        yield fired ? { at: Date.now() } : null;
        await sleep(EVENT_INTERVAL_MS);
        const now = await this.topics(q);
        if (now.join() !== topics.join()) {
          // A new task: follow it too, and tell the page (its task list changed).
          const old = sub;
          sub = events.subscribe((topics = now));
          old.close();
          yield { at: Date.now() };
        }
      }
    } finally {
      sub.close();
    }
  }

  // ---- archiving and pruning ---------------------------------------------------------------------------

  /** Every row of a workflow, for an archive (JSON lines). */
  async archive(p: Principal, workflowId: number): Promise<AsyncGenerator<ArchiveRecord>> {
    this.guard.requireUser(p, "archive workflows");
    await this.guard.authorizeWorkflow(p, workflowId);
    return this.store.archive.records(workflowId);
  }

  /** Deletes an ended workflow's state; running ones are refused (409). */
  async deleteWorkflow(p: Principal, workflowId: number): Promise<PruneCounts> {
    this.guard.requireUser(p, "delete workflows");
    await this.guard.authorizeWorkflow(p, workflowId);
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
        this.guard.workflowsDeleted();
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
