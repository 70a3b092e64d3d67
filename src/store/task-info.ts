import { sql } from "../vendor/kysely.js";
import type { TaskKind } from "../core/states.js";
import type { Tx } from "./context.js";

/** Immutable facts of a task (but its queue, set once when it is placed), cached because every dispatched job needs them. */
export interface TaskInfo {
  id: number;
  workflowId: number;
  /** The user whose workflow it is: executors never run two users' jobs. */
  owner: number;
  work: string;
  bundleHash: string;
  projectHash: string | null;
  queue: string;
  channel: string | null;
  resultKey: string | null;
  kind: TaskKind;
  /** What each job asked for: the pilot holds it to these (0: no limit). */
  walltimeS: number;
  memoryMb: number;
  initEnv: string | null;
  container: string | null;
}

const TASK_INFO_CACHE = 10_000;

/** The task facts read on every claim and authorisation, kept in memory (the oldest go first). */
export class TaskInfoCache {
  private readonly byId = new Map<number, TaskInfo>();

  async get(db: Tx, taskId: number): Promise<TaskInfo | undefined> {
    const cached = this.byId.get(taskId);
    if (cached) return cached;
    const { rows } = await sql<{
      id: number;
      workflow_id: number;
      user_id: number;
      work: string;
      bundle_hash: string;
      project_hash: string | null;
      queue: string;
      channel: string | null;
      result_key: string | null;
      kind: TaskKind;
      walltime_s: number;
      memory_mb: number;
      init_env: string | null;
      container: string | null;
    }>`SELECT t.id, t.workflow_id, w.user_id, t.work, t.bundle_hash, t.project_hash, t.queue, t.channel, t.result_key, t.kind, t.walltime_s,
              t.memory_mb, t.init_env, t.container
       FROM tasks t JOIN workflows w ON w.id = t.workflow_id WHERE t.id = ${taskId}`.execute(db);
    const row = rows[0];
    if (!row) return undefined;
    const info: TaskInfo = {
      id: row.id,
      workflowId: row.workflow_id,
      owner: row.user_id,
      work: row.work,
      bundleHash: row.bundle_hash,
      projectHash: row.project_hash,
      queue: row.queue,
      channel: row.channel,
      resultKey: row.result_key,
      kind: row.kind,
      walltimeS: row.walltime_s,
      memoryMb: row.memory_mb,
      initEnv: row.init_env,
      container: row.container,
    };
    this.remember(info);
    return info;
  }

  remember(info: TaskInfo): void {
    if (this.byId.size >= TASK_INFO_CACHE) {
      const oldest = this.byId.keys().next();
      if (!oldest.done) this.byId.delete(oldest.value);
    }
    this.byId.set(info.id, info);
  }

  /** A pending task was placed on a queue. */
  placed(taskId: number, queue: string): void {
    const cached = this.byId.get(taskId);
    if (cached) this.remember({ ...cached, queue });
  }
}
