#!/usr/bin/env node
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { pino } from "pino";
import { Pilot } from "../pilot/pilot.js";
import { credentialsPath } from "../server/credentials.js";
import { startServer } from "../server/server.js";
import { parseCount, parseDuration, parsePort, parsePositiveDuration } from "./parse.js";
import { pruneCommand, type PruneFlags } from "./prune-command.js";
import { addClientOptions } from "./client-options.js";
import { listQueuesCommand, setQueueCommand, type ClientFlags } from "./queues-command.js";
import { runCommand, type RunFlags } from "./run-command.js";
import { addServerOptions, serverConfigFrom, type ServerFlags } from "./server-options.js";

const program = new Command()
  .name("pando")
  .description("Function-as-a-task workflows for TypeScript: work() and workflow() run as distributed tasks.")
  .showHelpAfterError();

addServerOptions(
  program
    .command("run")
    .description("run a workflow: `pando run file.ts#export [args…]` (args are parsed as JSON when they are JSON)")
    .argument("<target>", "entry file, optionally with #export naming the workflow to call")
    .argument("[args...]", "arguments of the workflow")
    .option("--server <url>", "use this running server instead of the embedded one (replicas: url1,url2,… — the next is used when one is gone)")
    .option("--token <token>", "token for --server (default: PANDO_TOKEN, or the data directory's credentials)")
    .option("--pilots <n>", "local pilots of the embedded server (default: number of cores)", parseCount)
    .option("--slots <n>", "executors per local pilot", parseCount)
    .option("--queue <name>", "queue of the workflow's tasks")
    .option("--remote", "run the driver on a pilot too: the workflow survives this program (needs #export)")
    .option("--detach", "with --remote: print the workflow id and return at once (needs --server)")
    .option("--resume <id>", "continue a local workflow whose driver stopped: finished work calls are not run again", parseCount)
    .option("--json", "print the result as JSON")
    .option("--quiet", "no progress lines"),
).action(async (target: string, args: string[], flags: RunFlags) => {
  process.exitCode = await runCommand(target, args, flags);
});

addServerOptions(
  program
    .command("server")
    .description("run a Pando server")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on (0: any free port)", parsePort, 8720),
).action(async (flags: ServerFlags & { host: string; port: number }) => {
  const config = { ...serverConfigFrom(flags), host: flags.host, port: flags.port };
  const server = await startServer(config, pino({ level: process.env.PANDO_LOG_LEVEL ?? "info" }));
  process.stdout.write(`pando server listening on ${server.url}\ncredentials: ${credentialsPath(config.dataDir)}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
});

program
  .command("pilot")
  .description("run a pilot: take jobs of a queue from a server and run them (token in PANDO_TOKEN)")
  .requiredOption("--server <url>", "the Pando server")
  .option("--queue <name>", "the queue to serve", "local")
  .option("--slots <n>", "executor processes, i.e. jobs run at once", parseCount, availableParallelism())
  .option("--cache-dir <dir>", "where fetched bundles are kept", join(".pando", "cache"))
  .option("--name <name>", "name shown in the monitor (default host:pid)")
  .option("--idle-exit <duration>", "leave after holding no job for this long (default: never)", parsePositiveDuration)
  .option("--worker <id>", "the provisioner's worker id (set by the server that started this pilot)", parseCount)
  .action(async (flags: { server: string; queue: string; slots: number; cacheDir: string; name?: string; idleExit?: number; worker?: number }) => {
    const token = process.env.PANDO_TOKEN;
    if (!token) throw new Error("no token: set PANDO_TOKEN to a pilot token of the server");
    const log = pino({ level: process.env.PANDO_LOG_LEVEL ?? "info" }, process.stderr);
    const pilot = new Pilot({ ...flags, idleExitMs: flags.idleExit, token, log });
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

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`pando: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
