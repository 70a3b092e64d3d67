// Where an executor runs: plain Node (the default), after a shell prefix (`initEnv`, the original's
// init_env), or inside a container image with the host's runtime.
import { accessSync, constants } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import type { ErrorInfo } from "../core/errors.js";
import type { DispatchedJob } from "../core/dispatch-records.js";

/** Runtimes that share the executor's IPC channel with the container (docker cannot pass it through). */
export const CONTAINER_RUNTIMES = ["apptainer", "singularity", "podman"] as const;
export type ContainerRuntime = (typeof CONTAINER_RUNTIMES)[number];

export interface ExecutionContext {
  initEnv?: string;
  container?: string;
  runtime?: { name: ContainerRuntime; path: string };
}

/**
 * Jobs with the same key can share an executor: same user, same bundle and project archive (the executor's
 * working directory), same prefix, same image. Users who
 * uploaded the same bytes never share one: a job could leave what another user's job then finds (module
 * state, files in the executor's /tmp and work directory).
 */
export function contextKey(job: Pick<DispatchedJob, "owner" | "bundleHash" | "projectHash" | "initEnv" | "container">): string {
  return `${job.owner}\0${job.bundleHash}\0${job.projectHash ?? ""}\0${job.initEnv ?? ""}\0${job.container ?? ""}`;
}

/** Why a job in a container cannot run on a pilot whose hosts have no container runtime. */
export function containerUnavailable(container: string, pilot: string): ErrorInfo {
  return {
    code: "container_unavailable",
    message:
      `the job runs in container ${container}, but pilot ${pilot} has no container runtime ` +
      `(${CONTAINER_RUNTIMES.join(", ")}); install one on the pilot's hosts or send the work to a queue that has one`,
  };
}

/** The first container runtime on the PATH, if any. */
export function findContainerRuntime(path = process.env.PATH ?? ""): ExecutionContext["runtime"] {
  for (const name of CONTAINER_RUNTIMES) {
    for (const dir of path.split(delimiter).filter(Boolean)) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return { name, path: candidate };
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/**
 * The command that starts an executor (`node executor.js bundle`) in its context: the program and its
 * arguments, for spawn() with an IPC channel. The IPC channel is file descriptor 3 (NODE_CHANNEL_FD),
 * inherited through the shell's exec and passed into the container. `mounts` are files whose directories
 * a container gets read-only; `workDir`, the executor's working directories (PANDO_WORK_ROOT), it gets
 * writable; `projectDir`, the unpacked project archive, it gets read-only and starts in.
 */
export function executorCommand(
  context: ExecutionContext,
  nodeArgs: readonly string[],
  mounts: readonly string[],
  workDir?: string,
  projectDir?: string,
): { file: string; args: string[] } {
  let command = [process.execPath, ...nodeArgs];
  if (context.container && context.runtime) {
    const { name, path } = context.runtime;
    const dirs = [...new Set([...mounts.map((m) => dirname(m)), ...(projectDir ? [projectDir] : [])])];
    const work = workDir ? ["-e", "PANDO_WORK_ROOT", "-e", "PANDO_EXECUTOR_DIR", "-v", `${workDir}:${workDir}`] : [];
    const project = projectDir ? ["-e", "PANDO_PROJECT_DIR", "-w", projectDir] : [];
    command =
      name === "podman"
        ? [
            path,
            "run",
            "--rm",
            "-i",
            "--network=host",
            "--preserve-fds=1",
            "-e",
            "NODE_CHANNEL_FD",
            "-e",
            "NODE_CHANNEL_SERIALIZATION_MODE",
            ...dirs.flatMap((d) => ["-v", `${d}:${d}:ro`]),
            ...work,
            ...project,
            context.container,
            "node",
            ...nodeArgs,
          ]
        : [
            path,
            "exec",
            "--bind",
            [...dirs, ...(workDir ? [workDir] : [])].join(","),
            ...(projectDir ? ["--pwd", projectDir] : []),
            context.container,
            "node",
            ...nodeArgs,
          ];
  }
  if (!context.initEnv) return { file: command[0]!, args: command.slice(1) };
  // The prefix runs in a shell that then becomes the executor, which keeps the environment it left.
  // A failing prefix stops the shell (set -e): the executor must not start in half an environment.
  return { file: "/bin/sh", args: ["-c", `set -e\n${context.initEnv}\nexec "$@"`, "pando-init-env", ...command] };
}
