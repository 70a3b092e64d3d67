// The smallest Pando program: one work called once, then as one task of many jobs.
//   pando run examples/hello/hello.ts#hello 5
import { work, workflow } from "pando";

export const square = work({ name: "square" }, async (x: number) => x * x);

export const greet = work({ name: "greet" }, async (name: string, opts: { punctuation: string }) => {
  console.log(`greeting ${name}`);
  return `hello, ${name}${opts.punctuation}`;
});

export const hello = workflow({ name: "hello" }, async (n: number) => {
  const one = await greet("world", { punctuation: "!" }); // a task of one job
  const squares = await square.map(Array.from({ length: n }, (_, i) => [i] as [number])); // one task, n jobs
  return { one, squares, sum: squares.reduce((a, b) => a + b, 0) };
});
