// The graphile-worker side of the benchmarks: one worker process running the same no-op, started by
// bench/graphile-worker.ts with the database, the concurrency, the local queue's size (-1: none) and the
// delay over which completions are batched into one statement (-1: none, each completion its own commit).
import { Logger, run } from "graphile-worker";

const [connectionString, concurrency, localQueueSize, completeJobBatchDelay] = process.argv.slice(2);
const quiet = new Logger(() => () => undefined);

const runner = await run({
  connectionString,
  concurrency: Number(concurrency),
  noHandleSignals: true,
  logger: quiet,
  taskList: { noop: async () => undefined },
  preset: {
    worker: {
      localQueue: { size: Number(localQueueSize) },
      completeJobBatchDelay: Number(completeJobBatchDelay),
      failJobBatchDelay: Number(completeJobBatchDelay),
    },
  },
});
process.send?.("ready");
process.on("SIGTERM", () => void runner.stop().then(() => process.exit(0)));
