// The BullMQ side of the benchmarks: a worker in its own process, concurrency 500, doing the same no-op.
import { Worker } from "bullmq";

const port = Number(process.argv[2] ?? 6390);
const worker = new Worker("pando-bench", async (job) => (job.data as { i: number }).i, {
  connection: { host: "127.0.0.1", port },
  concurrency: 500,
});
worker.on("ready", () => process.send?.("ready"));
process.on("SIGTERM", () => void worker.close().then(() => process.exit(0)));
