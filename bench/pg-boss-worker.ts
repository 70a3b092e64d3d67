// The pg-boss side of the benchmarks: one worker process running the same no-op, started by bench/pg-boss.ts
// with the database, the queue and the batch size. pg-boss polls (no push): every 0.5 s at most often, its
// floor, and each fetch takes up to the batch size.
import PgBoss from "pg-boss";

const [connectionString, queue, batchSize] = process.argv.slice(2);
const boss = new PgBoss({ connectionString, supervise: false, schedule: false });
boss.on("error", (err: Error) => process.stderr.write(`pg-boss worker: ${err.message}\n`));
await boss.start();
await boss.work<{ i: number }>(queue!, { batchSize: Number(batchSize), pollingIntervalSeconds: 0.5 }, async (jobs) => jobs.map((j) => j.data.i));
process.send?.("ready");
process.on("SIGTERM", () => void boss.stop({ graceful: true, wait: true }).then(() => process.exit(0)));
