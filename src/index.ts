// The public API of Pando.
export { work, type Work, type ManyResult } from "./sdk/work.js";
export { command, type Command, type CommandOptions, type CommandSpec } from "./sdk/command.js";
export { workflow, type Workflow } from "./sdk/workflow.js";
export { MapResult, type FailedEntry } from "./sdk/map-result.js";
export { TaskRun, type CompletedJob } from "./sdk/task-run.js";
export { CommandError, JobError, NonRetryableError, TaskFailedError, TimeoutError, WorkflowError, WorkflowStoppedError } from "./sdk/errors.js";
export { WorkflowHandle, WorkflowFailedError } from "./sdk/workflow-handle.js";
export { context, type WorkflowContext } from "./sdk/workflow-context.js";
export { currentJob, type JobInfo } from "./sdk/context.js";
export { projectDir } from "./sdk/project-dir.js";
export type { JobDetails } from "./sdk/outcome.js";
export type { WorkOptions, WorkflowOptions } from "./sdk/options.js";
export type { DeclaredObjective, ObjectiveDirection } from "./core/objective.js";
export type { KwargsEntry, WithOptions } from "./sdk/entries.js";
export { CodecError } from "./codec/tagged-json.js";
export type { ErrorInfo, ErrorCode } from "./core/errors.js";
