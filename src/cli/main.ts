#!/usr/bin/env node
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { pino } from "pino";
import { errorMessage } from "../core/errors.js";
import { clientSecurityEnv } from "../core/transport-security.js";
import { JOB_STATES, WORKFLOW_STATUSES } from "../core/states.js";
import { ApiError } from "../api/errors.js";
import { traceHopsFromEnv } from "../sdk/hop-trace-file.js";
import { credentialsPath } from "../server/credentials.js";
import { PANDO_VERSION } from "../version.js";
import { parseBytes, parseCount, parseDuration, parseNonNegative, parsePort, parsePositiveDuration } from "./parse.js";
import { pruneCommand, type PruneFlags } from "./prune-command.js";
import { initCommand, type InitFlags } from "./init-command.js";
import { monitorCommand } from "./monitor-command.js";
import { addClientOptions, addClientSecurityOptions, clientSecurityFrom, type ClientFlags, type ClientSecurityFlags } from "./client-options.js";
import { listQueuesCommand, setQueueCommand } from "./queues-command.js";
import type { RunFlags } from "./run-command.js";
import { JOBS_MAX_LIMIT, showCommand, type ShowFlags } from "./show-command.js";
import { killCommand, retryCommand, type TaskTargetFlags } from "./kill-retry-command.js";
import { logsCommand, type LogsFlags } from "./logs-command.js";
import { LS_MAX_LIMIT, lsCommand, type LsFlags } from "./ls-command.js";
import { parseChoices, parsePageSize } from "./option-values.js";
import { tokenCreateCommand, tokenListCommand, tokenRevokeCommand, type TokenCreateFlags, type TokenListFlags } from "./token-command.js";
import { addServerOptions, serverConfigFrom, type ServerFlags } from "./server-options.js";
import { siteCommand, type SiteFlags } from "./site-command.js";
import { listSitesCommand } from "./sites-command.js";
import { addSandboxOptions, sandboxFrom, type SandboxFlags } from "./sandbox-options.js";
import { addPoolOptions, poolFrom, type PoolFlags } from "./pool-options.js";
import { type StartupTiming } from "../core/startup-timing.js";
import { listenToProgram, pilotServer } from "./pilot-server.js";
import type { PrewarmedExecutor } from "../pilot/prewarmed-executor.js";
import { epochNow } from "../core/epoch-clock.js";

interface PilotFlags extends SandboxFlags, ClientSecurityFlags, PoolFlags {
  server?: string;
  queue: string;
  slots: number;
  cacheDir: string;
  workRoot?: string;
  name?: string;
  idleExit?: number;
  worker?: number;
  maxDepthPerSlot?: number;
  prefetchTasks?: number;
  warmReplacesIdle?: number;
  projectMaxBytes?: number;
  projectMaxFiles?: number;
}

/** A repeatable option's values, in order. */
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

const program = new Command()
  .name("pando")
  .description("Function-as-a-task workflows for TypeScript: work() and workflow() run as distributed tasks.")
  .version(PANDO_VERSION, "-V, --version", "print Pando's version")
  // A mistaken command line gets what is wrong in the form of every other error (`pando: …`), a pointer to --help, and exit code 2.
  .showHelpAfterError("(add --help for usage)")
  .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, "pando: ")) })
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

addServerOptions(
  addClientSecurityOptions(program.command("run"), { ca: false })
    .description("run a workflow: `pando run file.ts#export [args…]` (args are JSON when they are JSON, other words strings)")
    .argument("<target>", "entry file, optionally with #export naming the workflow to call")
    .argument("[args...]", "arguments of the workflow")
    .option("--server <url>", "use this running server instead of the embedded one (default: PANDO_SERVER when set; replicas: url1,url2,… — the next is used when one is gone)")
    .option("--token <token>", "token for the server (default: PANDO_TOKEN, or the data directory's credentials)")
    .option("--pilots <n>", "local pilots of the embedded server (default: number of cores)", parseCount)
    .option("--slots <n>", "executors per local pilot", parseCount)
    .option("--pilot-processes", "run the embedded server's pilots as child processes rather than in this process (jobs run in executor processes either way)")
    .option("--queue <name>", "queue of the workflow's tasks")
    .option("--remote", "run the driver on a pilot too: the workflow survives this program (needs #export)")
    .option("--detach", "with --remote: print the workflow id (how to follow it on stderr) and return at once (needs --server)")
    .option("--resume <id>", "continue a local workflow whose driver stopped (a suspended one): finished work calls are not run again", parseCount)
    .option("--json", "print the result as JSON, alone on stdout (the driver's own output goes to stderr)")
    .option("--quiet", "no progress lines")
    .option("--verbose", "with an error, print its stack (and the stacks of failed jobs)")
    .option("--warm-wait <duration>", "how long the embedded server's driver waits for its pilots' executors to be warm (60s; 0: not at all)", parseDuration)
    .option("--project-exclude <pattern>", "leave these files of the project directory out of its archive (.gitignore syntax); repeatable", collect)
    .option("--project-include <pattern>", "ship these files although .gitignore or the defaults leave them out; repeatable", collect)
    .option("--project-max-size <size>", "largest project archive, its files' total size (100MiB)", parseBytes)
    .option("--no-project", "ship no project archive: jobs see the project directory only where the pilots share its file system")
    .option("--timings", "print on stderr when each step of the run's start-up and end was over, here, in the local pilots and their executors (also PANDO_TIMINGS=1)"),
).action(async (target: string, args: string[], flags: RunFlags) => {
  traceHopsFromEnv("run");
  const { runCommand } = await import("./run-command.js");
  process.exitCode = await runCommand(target, args, flags);
});

program
  .command("init")
  .description("scaffold a Pando project: package.json, tsconfig.json, a first work and workflow, a queues file; never overwrites a file")
  .argument("[dir]", "the project's directory, created if needed", ".")
  .option("--pando <spec>", "where the project installs Pando from: a tarball, a git URL, … (default: where this Pando was installed from)")
  .action((dir: string, flags: InitFlags) => initCommand(dir, flags));

addServerOptions(
  program
    .command("server")
    .description("run a Pando server")
    .option("--host <host>", "address to listen on (0.0.0.0 or :: needs --public-url)", "127.0.0.1")
    .option("--port <port>", "port to listen on (0: any free port)", parsePort, 8720),
  { listening: true },
).action(async (flags: ServerFlags & { host: string; port: number }) => {
  traceHopsFromEnv("server");
  const config = { ...serverConfigFrom(flags, { listening: true }), host: flags.host, port: flags.port };
  // Written at once (the log is a few lines a minute): its start-up line comes before the two below, as the docs show.
  const log = pino({ level: process.env.PANDO_LOG_LEVEL ?? "info" }, pino.destination({ dest: 1, sync: true }));
  const { startServer } = await import("../server/server.js");
  const server = await startServer(config, log);
  const where = config.publicUrl === undefined ? server.url : `${server.listening} (${server.url} to clients)`;
  process.stdout.write(`pando server listening on ${where}\ncredentials: ${credentialsPath(config.dataDir)}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
});

addPoolOptions(addSandboxOptions(addClientSecurityOptions(program
  .command("pilot"))
  .description("run a pilot: take jobs of a queue from a server and run them (token in PANDO_TOKEN)")
  .option("--server <url>", "the Pando server (required)")
  .option("--queue <name>", "the queue to serve", "local")
  .option("--slots <n>", "executor processes, i.e. jobs run at once", parseCount, availableParallelism())
  .option("--cache-dir <dir>", "where fetched bundles are kept", join(".pando", "cache"))
  .option("--work-root <dir>", "where command works get their per-attempt working directories (default: PANDO_WORK_ROOT, or the system's temporary directory)")
  .option("--name <name>", "name shown in the monitor (default host:pid)")
  .option("--idle-exit <duration>", "leave after holding no job for this long (default: never)", parsePositiveDuration)
  .option("--worker <id>", "the provisioner's worker id (set by the server that started this pilot)", parseCount)
  .option("--max-depth-per-slot <n>", "most jobs held per slot when a task's jobs are fast (1000)", parseCount)
  .option("--prefetch-tasks <n>", "most fast tasks named in one request for jobs beyond the free slots (20; 0: only jobs for free slots)", parseNonNegative)
  .option("--warm-replaces-idle <duration>", "a warm command replaces executors of other code only after they ran nothing for this long (5s)", parseDuration)
  .option("--project-max-bytes <size>", "largest project archive this pilot unpacks, its files' total size (1GiB)", parseBytes)
  .option("--project-max-files <n>", "most entries of a project archive this pilot unpacks (100000)", parseCount)))
  .action(async (flags: PilotFlags) => {
    traceHopsFromEnv("pilot");
    // A local pilot of `pando run` hears its program from the start: it may be asked for executors as it loads.
    const program = listenToProgram();
    // `pando run --timings`: the pilot tells the program that started it when its start-up steps ended.
    const onTiming = process.connected && process.env.PANDO_TIMINGS ? (timing: StartupTiming) => void process.send?.({ t: "timing", timing }) : undefined;
    onTiming?.({ kind: "pilot", step: "node started", at: performance.timeOrigin });
    // Loaded first: a local pilot of `pando run` loads its code while the server it waits for starts.
    const { Pilot } = await import("../pilot/pilot.js");
    const { UNPACK_DEFAULTS } = await import("../bundle/project-unpack.js");
    const { pilotSandbox } = await import("../pilot/sandbox-probe.js");
    const { prewarmExecutors } = await import("../pilot/prewarmed-executor.js");
    onTiming?.({ kind: "pilot", step: "loaded", at: epochNow() });
    // Every line names the pilot's queue and, once it registered, its id, as fields (the id changes when it registers again).
    const self: { pilot?: InstanceType<typeof Pilot> } = {};
    const mixin = () => (self.pilot?.pilotId ? { pilotId: self.pilot.pilotId } : {});
    const processLog = pino({ level: process.env.PANDO_LOG_LEVEL ?? "info", mixin }, process.stderr);
    // Probed before the server is known (a local pilot's server is starting meanwhile); throws if the pilot
    // must sandbox jobs and cannot.
    const sandbox = pilotSandbox(sandboxFrom(flags), processLog);
    onTiming?.({ kind: "pilot", step: "sandbox probed", at: epochNow() });
    const pool = poolFrom(flags);
    // Executors its program asks for before it says where the server is (a local pilot's), for the run's user.
    // (An executor leaves when its pilot does: it hears its IPC channel close.)
    const prewarmed: PrewarmedExecutor[] = [];
    const early = { ...flags, ...pool, name: flags.name ?? "local pilot", sandbox, onTiming };
    program?.onPrewarm((request) => {
      if (prewarmed.length === 0) prewarmed.push(...prewarmExecutors(early, request, request, request.dataDir, processLog));
    });
    const { server, token, queue, prewarmed: taken } = await pilotServer(flags.server, program, prewarmed);
    onTiming?.({ kind: "pilot", step: "told its server", at: epochNow() });
    // The pilot's environment is what its connections and its executors' (a remote driver's client) trust.
    const { ca, insecureHttp, ...pilotFlags } = flags;
    Object.assign(process.env, clientSecurityEnv(clientSecurityFrom({ ca, insecureHttp })));
    const log = processLog.child({ queue: queue ?? flags.queue });
    // Started by a program (the embedded server): it hears when this pilot's executors are warm.
    const onWarm = process.connected
      ? (bundleHash: string) => {
          if (process.connected) process.send?.({ t: "warm", bundleHash });
        }
      : undefined;
    const { idleExit, warmReplacesIdle, warmExecutors: _warm, executorIdle: _idle, cacheKeep: _keep, projectMaxBytes, projectMaxFiles, sandbox: _mode, sandboxNetwork: _net, sandboxBindRo: _ro, sandboxBind: _rw, sandboxBwrap: _bwrap, ...rest } = pilotFlags;
    const projectLimits = { maxBytes: projectMaxBytes ?? UNPACK_DEFAULTS.maxBytes, maxFiles: projectMaxFiles ?? UNPACK_DEFAULTS.maxFiles };
    if (taken) log.info({ executors: taken.executors.length }, "takes the executors its run prewarmed");
    const pilot = (self.pilot = new Pilot({ ...rest, server, queue: queue ?? rest.queue, idleExitMs: idleExit, warmReplacesIdleMs: warmReplacesIdle, ...pool, token, log, onWarm, onTiming, sandbox, projectLimits, prewarmed: taken }));
    const stop = (graceMs?: number) => void pilot.stop(graceMs).then(() => process.exit(0));
    process.once("SIGINT", () => stop());
    process.once("SIGTERM", () => stop());
    // Started by a program (the embedded server): leave as soon as that program is gone.
    if (process.connected) process.once("disconnect", () => stop(0));
    await pilot.run();
    // run() returns once the pilot stopped by itself (idle): wait for its goodbye, then leave.
    await pilot.stop();
    process.exit(0);
  });

const queues = addClientOptions(
  program.command("queues").description("list the queues with their status and load; `pando queues set <name> <status>` changes a status"),
).action((flags: ClientFlags) => listQueuesCommand(flags));
queues
  .command("set")
  .description("set a queue online, offline, brokeroff or test (administrators)")
  .argument("<name>", "the queue")
  .argument("<status>", "online | offline | brokeroff | test")
  .action((name: string, status: string, _opts: unknown, cmd: Command) => setQueueCommand(name, status, cmd.optsWithGlobals<ClientFlags>()));

const prune = program
  .command("prune")
  .description("delete the state of workflows that ended long ago (never running ones), optionally archiving them first")
  .requiredOption("--older-than <duration>", "only workflows that ended longer ago than this, e.g. 30d or 12h", parseDuration)
  .option("--status <list>", "only these end statuses (comma-separated; default all: finished, subfinished, failed, cancelled)")
  .option("--user <name>", "only this user's workflows (administrators; default: all workflows an administrator sees)")
  .option("--archive <dir>", "first write each workflow, with its tasks, jobs and attempts, to <dir>/workflow-<id>.jsonl.gz")
  .option("--dry-run", "list what would be deleted and delete nothing");
addClientOptions(prune).action(async (flags: PruneFlags) => {
  process.exitCode = await pruneCommand(flags);
});

addClientOptions(
  program
    .command("ls")
    .description("list workflows, newest first: id, name, user, status, tasks by status, jobs, progress, times")
    .option("--status <list>", `only these statuses (comma-separated: ${WORKFLOW_STATUSES.join(", ")})`, parseChoices("workflow status", WORKFLOW_STATUSES))
    .option("--name <pattern>", "only names matching this pattern (* and ? wildcards, case-insensitive)")
    .option("--user <name>", "only this user's workflows (administrators; default: all you can see)")
    .option("--since <duration>", "only workflows created within this long, e.g. 2h or 7d", parseDuration)
    .option("--limit <n>", `workflows per page (at most ${LS_MAX_LIMIT}; default 50)`, parsePageSize(LS_MAX_LIMIT))
    .option("--cursor <id>", "start at this page (the cursor printed under the previous one)", parseCount)
    .option("--all", "every page, not only the first"),
).action((flags: LsFlags) => lsCommand(flags));

addClientOptions(
  program
    .command("show")
    .description("show a workflow with its tasks and errors; --task: a task with its jobs; --job: a job with its attempts")
    .argument("[workflowId]", "the workflow (optional with --task or --job)", parseCount)
    .option("--task <id>", "show this task, a page of its jobs and its errors", parseCount)
    .option("--job <id>", "show this job with every attempt", parseCount)
    .option("--state <list>", `with --task: only jobs in these states (comma-separated: ${JOB_STATES.join(", ")})`, parseChoices("job state", JOB_STATES))
    .option("--limit <n>", `with --task: jobs per page (at most ${JOBS_MAX_LIMIT}; default 1000)`, parsePageSize(JOBS_MAX_LIMIT))
    .option("--cursor <index>", "with --task: start at this job index (printed under the previous page)", parseNonNegative),
).action((workflowId: number | undefined, flags: ShowFlags) => showCommand(workflowId, flags));

addClientOptions(
  program
    .command("logs")
    .description("print the stdout and stderr of a job's last attempt, or of another, or of all")
    .argument("<jobId>", "the job (pando show --task <id> lists them)", parseCount)
    .option("--attempt <n>", "this attempt instead of the last", parseCount)
    .option("--all", "every attempt, first to last"),
).action((jobId: number, flags: LogsFlags) => logsCommand(jobId, flags));

addClientOptions(
  program
    .command("kill")
    .description("cancel a running or suspended workflow and kill its unfinished tasks (its driver stops); --task: kill one task")
    .argument("[workflowId]", "the workflow (optional with --task)", parseCount)
    .option("--task <id>", "kill only this task", parseCount),
).action((workflowId: number | undefined, flags: TaskTargetFlags) => killCommand(workflowId, flags));

addClientOptions(
  program
    .command("retry")
    .description(
      "run the failed and cancelled jobs of a suspended workflow's ended tasks again, as new attempts, for its resumed driver to read; --task: of one task",
    )
    .argument("[workflowId]", "the workflow (optional with --task)", parseCount)
    .option("--task <id>", "retry only this task's jobs", parseCount),
).action((workflowId: number | undefined, flags: TaskTargetFlags) => retryCommand(workflowId, flags));

addClientOptions(
  program
    .command("site")
    .description("run a site agent: register a site's queues with a server and start their pilots on this host's backends (site token in PANDO_TOKEN)")
    .requiredOption("--name <site>", "the site's name (its queues are addressed as <site>/<queue>)")
    .requiredOption("--queues-file <file>", "the site's queues (docs/queues.md), with each queue's pilotCommand")
    .option("--poll <duration>", "longest wait of one demand poll, also the agent's heartbeat (10s)", parsePositiveDuration, 10_000)
    .option("--max-backoff <duration>", "longest pause between two tries while the server cannot be reached (30s)", parsePositiveDuration, 30_000),
).action((flags: SiteFlags) => siteCommand(flags));

addClientOptions(
  program.command("sites").description("list the sites whose agents registered: their state (online or silent), heartbeats, workers and queues"),
).action((flags: ClientFlags) => listSitesCommand(flags));

const token = program.command("token").description("create, list and revoke tokens");
addClientOptions(
  token
    .command("create")
    .description("create a token and print it (only this once)")
    .argument("<name>", "what the token is for, e.g. laptop or ci")
    .option("--user <name>", "for this user, created if new (administrators)")
    .option("--workflow <id>", "valid for this workflow only", parseCount)
    .option("--site <name>", "a site agent's token for this site: it may only register the site's queues and start their pilots (administrators)")
    .option("--expires <duration>", "refused after this long, e.g. 30d (default: never)", parsePositiveDuration),
).action((name: string, flags: TokenCreateFlags) => tokenCreateCommand(name, flags));
addClientOptions(
  token
    .command("list")
    .description("list your tokens (never the tokens themselves)")
    .option("--all", "every user's tokens (administrators)")
    .option("--revoked", "revoked tokens too"),
).action((flags: TokenListFlags) => tokenListCommand(flags));
addClientOptions(
  token.command("revoke").description("revoke a token: it is refused from then on").argument("<id>", "the token's id (pando token list)", parseCount),
).action((id: number, flags: ClientFlags) => tokenRevokeCommand(id, flags));

addClientOptions(
  program.command("monitor").description("print the link that opens the server's web monitor, signed in with your token"),
).action((flags: ClientFlags) => monitorCommand(flags));

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`pando: ${errorMessage(err)}\n`);
  // 1: the server refused what was asked or could not be reached; 2: the command line was wrong or the command could not start.
  process.exit(err instanceof ApiError ? 1 : 2);
});
