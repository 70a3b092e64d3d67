// BullMQ measurements, done the same way as Pando's (bench/pando-noop.ts): submit → every result in hand.
import { fork } from "node:child_process";
import { Queue, QueueEvents } from "bullmq";
import { measureLatency, type Latency } from "./stats.js";
import { stop } from "./server-process.js";

export interface Throughput {
  n: number;
  ms: number;
  jobsPerSecond: number;
}

async function withBullmq<T>(port: number, body: (queue: Queue, events: QueueEvents) => Promise<T>): Promise<T> {
  const connection = { host: "127.0.0.1", port };
  const queue = new Queue("pando-bench", { connection });
  // waitUntilFinished() on many jobs at once adds a listener per job; that is expected here.
  queue.setMaxListeners(0);
  await queue.obliterate({ force: true });
  const events = new QueueEvents("pando-bench", { connection });
  await events.waitUntilReady();
  const worker = fork(new URL("./bullmq-worker.ts", import.meta.url), [String(port)], { execArgv: ["--import", "tsx"] });
  await new Promise<void>((resolve, reject) => {
    worker.once("message", () => resolve());
    worker.once("exit", (code) => reject(new Error(`the BullMQ worker exited with code ${code}`)));
  });
  try {
    return await body(queue, events);
  } finally {
    await stop(worker);
    await events.close();
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

export function bullmqThroughput(port: number, n: number): Promise<Throughput> {
  return withBullmq(port, async (queue, events) => {
    const warm = await queue.addBulk(Array.from({ length: 500 }, (_, i) => ({ name: "noop", data: { i } })));
    await Promise.all(warm.map((j) => j.waitUntilFinished(events)));
    let completed = 0;
    const done = new Promise<void>((resolve) => {
      events.on("completed", () => {
        if (++completed === n) resolve();
      });
    });
    const t0 = performance.now();
    for (let start = 0; start < n; start += 1000) {
      const batch = Array.from({ length: Math.min(1000, n - start) }, (_, k) => ({ name: "noop", data: { i: start + k } }));
      await queue.addBulk(batch);
    }
    await done;
    const ms = performance.now() - t0;
    return { n, ms, jobsPerSecond: (n / ms) * 1000 };
  });
}

export function bullmqLatency(port: number, n: number): Promise<Latency> {
  return withBullmq(port, async (queue, events) => {
    return measureLatency(n, 20, async (i) => (await queue.add("noop", { i })).waitUntilFinished(events));
  });
}
