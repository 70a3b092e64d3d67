// Kysely table types. Times are integer milliseconds since the epoch; JSON columns hold text. Status columns
// hold the states of core/states.ts (the store writes no other), typed as such.
import type { Generated } from "kysely";
import type { QueueStatus } from "../core/brokerage.js";
import type { ResultVia } from "../core/dispatch-records.js";
import type { ObjectiveDirection } from "../core/objective.js";
import type {
  EndedAttemptState,
  JobState,
  PilotStatus,
  TaskKind,
  TaskStatus,
  WorkerBatchState,
  WorkerStatus,
  WorkflowMode,
  WorkflowStatus,
} from "../core/states.js";

export interface UsersTable {
  id: Generated<number>;
  name: string;
  role: "admin" | "user";
  created_at: number;
}

export interface TokensTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  /** sha256 hex of the token; the token itself is never stored. */
  hash: string;
  kind: "user" | "pilot" | "workflow" | "site";
  workflow_id: number | null;
  /** A site agent's token, or a pilot token the server issued to that site's pilots: the site's name. */
  site: string | null;
  created_at: number;
  revoked_at: number | null;
  /** After this, the token is refused; null: never expires. */
  expires_at: number | null;
  /** A site's pilot token: when its site's agent last said it holds it (registration, demand poll); null: never. */
  held_at: number | null;
}

export interface WorkflowsTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  status: WorkflowStatus;
  mode: WorkflowMode;
  queue: string;
  bundle_hash: string | null;
  /** The project archive the workflow ships (a hash in the code cache), if any. */
  project_hash: string | null;
  node_version: string | null;
  lockfile_hash: string | null;
  result: string | null;
  error: string | null;
  created_at: number;
  updated_at: number;
  closed_at: number | null;
  ended_at: number | null;
  /** Remote mode: the task whose one job runs the driver. */
  driver_task_id: number | null;
  /** Local mode: the last heartbeat of the driver's process. */
  driver_heartbeat_at: number | null;
  /** Seed of the workflow's context().random(): the same on every run of its driver. */
  seed: number;
  /** Hash of the arguments the driver was started with; a resumed run must bring the same. */
  args_hash: string | null;
  /** Local mode: when and why the driver stopped before its body ended, while the workflow is suspended. */
  suspended_at: number | null;
  suspend_reason: string | null;
}

export interface TasksTable {
  id: Generated<number>;
  workflow_id: number;
  seq: number | null;
  work: string;
  bundle_hash: string;
  /** The project archive its jobs run in, if any. */
  project_hash: string | null;
  status: TaskStatus;
  queue: string;
  priority: number;
  max_attempts: number;
  n_jobs: number;
  n_finished: number;
  n_failed: number;
  n_cancelled: number;
  /** Counter of final states reached by the task's jobs; each final job takes the next value as done_seq. */
  result_seq: number;
  killed: number;
  /** Suffix of the task's result topic on the broker, chosen by its driver. */
  channel: string | null;
  /** Key of the HMAC that signs the task's result messages. */
  result_key: string | null;
  /** "work", or "driver" for the task that runs a remote workflow's body. */
  kind: TaskKind;
  /** Hash of the call (work name, job keys, arguments): a re-run driver's call must match it. */
  args_hash: string | null;
  /** What each job needs: cores, memory (MiB, 0: unstated), walltime (s, 0: unstated). */
  cores: number;
  memory_mb: number;
  walltime_s: number;
  /** JSON list of the queues the task named ([]: any). */
  named_queues: string;
  /** Why no queue can take the task, while it is pending. */
  pending_reason: string | null;
  /** Shell commands run before the executor starts (the executor inherits their environment). */
  init_env: string | null;
  /** Container image the executor runs in. */
  container: string | null;
  /** The objective its work declared (the result field) and its direction; null when it declared none. */
  objective_name: string | null;
  objective_direction: ObjectiveDirection | null;
  created_at: number;
  updated_at: number;
  ended_at: number | null;
}

export interface JobsTable {
  id: Generated<number>;
  task_id: number;
  idx: number;
  job_key: string;
  state: JobState;
  queue: string;
  priority: number;
  args: string;
  result: string | null;
  error: string | null;
  attempt_nr: number;
  failures: number;
  system_failures: number;
  max_attempts: number;
  /** Pilot of the current (or last) attempt. */
  pilot_id: number | null;
  /** When the current attempt was sent to its pilot. */
  sent_at: number | null;
  /** 1 while a kill of the current attempt waits for its pilot to confirm. */
  kill_requested: number;
  done_seq: number | null;
  started_at: number | null;
  ended_at: number | null;
  /** How the final state reached the server: "broker" or "rest". */
  result_via: ResultVia | null;
  created_at: number;
  updated_at: number;
}

/** Attempts that ended (the current attempt of a job lives on the job row until it ends). */
export interface AttemptsTable {
  job_id: number;
  nr: number;
  state: EndedAttemptState;
  pilot_id: number;
  sent_at: number;
  started_at: number | null;
  ended_at: number | null;
  error: string | null;
  stdout: string | null;
  stderr: string | null;
}

export interface PilotsTable {
  id: Generated<number>;
  queue: string;
  name: string;
  host: string;
  pid: number;
  slots: number;
  version: string;
  status: PilotStatus;
  created_at: number;
  heartbeat_at: number;
  ended_at: number | null;
  /** The worker the provisioner started this pilot as, if it did. */
  worker_id: number | null;
  /** HMAC key of the pilot's broker reports (null: registered before pilots had one). */
  report_key: string | null;
}

/** When a pilot was last heard from (its last heartbeat the server answered); none yet: its registration. */
export interface PilotHeartbeatsTable {
  pilot_id: number;
  heard_at: number;
}

/** A pilot the provisioner started on a queue's backend. */
export interface WorkersTable {
  id: Generated<number>;
  queue: string;
  backend: string;
  /** Process id (local) or Slurm job id. */
  batch_id: string | null;
  /** "submitted" (not registered yet), "running" (its pilot registered), "ended" (core/states.ts). */
  status: WorkerStatus;
  reason: string | null;
  /** What the backend last said of its job; null before it was asked. */
  batch_state: WorkerBatchState | null;
  /** While pending, the backend's reason (explained). */
  batch_reason: string | null;
  created_at: number;
  ended_at: number | null;
  /** The site whose agent started it; null: the server did. */
  site: string | null;
  /** The server replica that started it (its local pilots are that replica's children); null for a site's. */
  owner: string | null;
  /** A site's worker: the id of the pilot token its agent started it with; null: the server's, or unknown. */
  pilot_token_id: number | null;
}

/** A site whose agent registered its queues: when the agent was last heard from. */
export interface SitesTable {
  name: string;
  created_at: number;
  heartbeat_at: number;
}

export interface QueuesTable {
  name: string;
  backend: string;
  status: QueueStatus;
  created_at: number;
  /** The queue's definition (QueueDefinition) as JSON. */
  definition: string | null;
  /** The status the queues file gave it last: a run-time change stays until the file says otherwise. */
  file_status: QueueStatus | null;
  /** The site the queue belongs to (its name is `<site>/<queue>`); null: the server's own. */
  site: string | null;
}

export interface BundlesTable {
  hash: string;
  size: number;
  content: Uint8Array;
  created_at: number;
}

/** A user who uploaded a bundle: only they may name it in their work, read it or ask whether it is there. */
export interface BundleOwnersTable {
  hash: string;
  user_id: number;
  created_at: number;
}

/** Values a driver computed once (context().step()), returned as they were when it runs again. */
export interface StepsTable {
  workflow_id: number;
  seq: number;
  name: string;
  value: string;
  created_at: number;
}

export interface Database {
  steps: StepsTable;
  users: UsersTable;
  tokens: TokensTable;
  workflows: WorkflowsTable;
  tasks: TasksTable;
  jobs: JobsTable;
  attempts: AttemptsTable;
  pilots: PilotsTable;
  pilot_heartbeats: PilotHeartbeatsTable;
  queues: QueuesTable;
  workers: WorkersTable;
  sites: SitesTable;
  bundles: BundlesTable;
  bundle_owners: BundleOwnersTable;
}
