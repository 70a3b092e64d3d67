import { bundleEntry, type Bundle } from "../bundle/bundler.js";
import { setDriverEnvironment } from "../sdk/driver-env.js";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { DEFAULT_WARM_WAIT_MS, prepareBundle, prewarmCode } from "./run-bundle.js";
import { runExport, runTopLevel, setRunEnvironment } from "./run-driver.js";
import { describeRunError, UsageError } from "./run-errors.js";
import { handleInterrupts } from "./run-interrupt.js";
import { packRunProject } from "./run-project.js";
import { connectServer, type RunServer } from "./run-server.js";
import { runTracker, type RunFlags, type RunSession } from "./run-session.js";
import { runTarget } from "./run-target.js";
import { watchRunning } from "./run-watch.js";
import { Progress } from "./progress.js";
import { serverConfigFrom } from "./server-options.js";
import { reserveStdout, type ReservedStdout } from "./stdout-reserve.js";
import { RunTimings } from "./run-timings.js";

export type { RunFlags } from "./run-session.js";

/**
 * `pando run file.ts[#export] [args…]`: bundles the program, starts the embedded server and local pilots (or
 * uses --server), and runs the workflow here. With #export the named workflow is called with the arguments
 * (each parsed as JSON when it is JSON); without it the module's own top-level code runs. Returns the exit
 * code: 0 when every workflow finished, 1 when one did not or the run failed, 2 for a usage error.
 */
export async function runCommand(targetArg: string, rawArgs: string[], flags: RunFlags): Promise<number> {
  const timings = new RunTimings(flags.timings === true || process.env.PANDO_TIMINGS === "1");
  timings.mark("CLI loaded");
  // The local pilots tell their start-up steps when they see it.
  if (timings.enabled) process.env.PANDO_TIMINGS = "1";
  const target = runTarget(targetArg, rawArgs, flags);
  // With --server this process is a driver alone: it waits on its server and keeps every result of its calls.
  // V8's default heap growth lets garbage take about as much memory again as those results before a full
  // collection (a 100,000-job call peaked at 210 MiB with 57 MiB live); grown by a tenth at a time, the heap
  // peaked at 171 MiB for the same wall time of the call (BENCHMARKS.md, "Driver memory").
  if (target.serverUrl) setFlagsFromString("--heap-growing-percent=10");
  const progress = new Progress(process.stderr, !flags.quiet);
  const config = serverConfigFrom(flags);
  const runs = runTracker();
  // Bundled while the server starts (esbuild works in a process of its own).
  const bundling = bundleEntry(target.file).then((b) => (timings.mark(b.fromCache ? "bundle from the build cache" : "bundle built"), b));
  const project = packRunProject(target.file, flags, target.serverUrl ? undefined : join(config.dataDir, "cache"));
  if (timings.enabled) {
    project.archive.then((archive) => archive && timings.mark("project packed")).catch(() => undefined);
    void project.placed.then((placed) => placed && timings.mark("project unpacked for the local pilots"));
  }
  // The local pilots' executors start once the bundle and the project are in their cache, while the server starts.
  const warming = !target.serverUrl && (flags.warmWait ?? DEFAULT_WARM_WAIT_MS) > 0;
  const prewarm = warming ? prewarmCode(bundling, project, config).catch(() => undefined) : Promise.resolve(undefined);
  const connecting = connectServer(target.serverUrl, flags, config, progress, runs, timings, prewarm);
  const { built, client, embedded } = await bothOrNeither(bundling, connecting).catch(async (err: unknown) => {
    await project.placed;
    throw err;
  });
  const run: RunSession = { target, flags, progress, client, embedded, runs, timings, outcome: "ok", workflowsCalled: 0, abandonedBody: false };

  const interrupts = handleInterrupts(run);
  const stopWatching = watchRunning(client, progress, runs.active);
  const stdout = resultStdout(run);
  try {
    const { bundle, path, mod, projectHash } = await prepareBundle(run, config, built, project);
    setRunEnvironment(run, bundle, projectHash);
    const code = target.exportName === undefined ? await runTopLevel(run, path) : await runExport(run, target.exportName, mod, stdout);
    timings.mark("workflow ended");
    return code;
  } catch (err) {
    // Interrupted: the workflows are being suspended, and the process exits with the interrupt's code.
    const interrupted = interrupts.pending();
    if (interrupted) await interrupted;
    progress.end();
    process.stderr.write(`${describeRunError(err, { server: flags.server, verbose: flags.verbose === true })}\n`);
    return err instanceof UsageError ? 2 : 1;
  } finally {
    const interrupted = interrupts.pending();
    if (interrupted) await interrupted;
    stopWatching();
    progress.end();
    stdout.restore();
    interrupts.dispose();
    setDriverEnvironment(undefined);
    await project.settle();
    await (embedded ? embedded.stop() : client.close());
    timings.mark("stopped");
    if (timings.enabled) process.stderr.write(timings.report());
    // After the exit code is set from what this returns (timers run after that microtask).
    if (run.abandonedBody) setTimeout(() => process.exit(), 0).unref();
  }
}

/**
 * The bundle and the server, made at the same time: if either fails, the other is undone (an embedded
 * server stopped) and that failure is thrown, the bundle's first.
 */
async function bothOrNeither(bundling: Promise<Bundle>, connecting: Promise<RunServer>): Promise<RunServer & { built: Bundle }> {
  const [bundle, server] = await Promise.allSettled([bundling, connecting]);
  if (bundle.status === "fulfilled" && server.status === "fulfilled") return { ...server.value, built: bundle.value };
  if (server.status === "fulfilled") await (server.value.embedded ? server.value.embedded.stop() : server.value.client.close());
  throw bundle.status === "rejected" ? bundle.reason : (server as PromiseRejectedResult).reason;
}

/**
 * --json with #export: stdout holds the result's JSON alone; what the driver prints goes to stderr. A program
 * run for its top-level code prints its own results, so its stdout stays its own.
 */
function resultStdout({ flags, target }: RunSession): ReservedStdout {
  return flags.json && target.exportName !== undefined
    ? reserveStdout()
    : { write: (text) => void process.stdout.write(text), restore: () => undefined };
}
