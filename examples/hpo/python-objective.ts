// The HPO example's Python objective as a command work: `python3 objective.py`, a logistic regression in
// pure Python trained on the example's dataset, which the driver writes to a file the jobs read.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { command, projectDir, type Command } from "pando";
import { float, int, type Params, type SpaceDefinition } from "pando/optimize";
import { OBJECTIVE } from "./auc.js";
import { makeDataset, splitDataset } from "./dataset.js";

/** The search space of the logistic regression's training. */
export const PYTHON_SPACE: SpaceDefinition = {
  learningRate: float(0.01, 3, { log: true }),
  l2: float(1e-5, 0.1, { log: true }),
  epochs: int(5, 200, { log: true }),
};

/** What each job is told besides its point: the dataset file, and the script to run. */
export interface PythonOptions {
  dataset: string;
  script: string;
}

/** What objective.py returns, as the forest's evaluation does. */
export interface PythonEvaluation {
  auc: number;
  seconds: number;
}

/** One evaluation: `python3 objective.py`, reading its point and options through pando_job. */
export const evaluatePython = command(
  { name: "hpo.evaluatePython", mapResults: true, maxAttempts: 3, objective: OBJECTIVE },
  (_point: Params, options: PythonOptions): Command<PythonEvaluation> => ({
    command: ["python3", options.script],
    // One thread per job: the slots are the parallelism.
    env: { OMP_NUM_THREADS: "1" },
  }),
);

/**
 * The script, in the project's directory (projectDir(): where `pando run` found the program's package.json,
 * carried by its bundle to drivers and jobs), which the pilots must share.
 */
export function objectiveScript(): string {
  const script = join(projectDir(), "examples", "hpo", "objective.py");
  if (!existsSync(script)) {
    throw new Error(`the Python objective ${script} is not there: run the example from the Pando repository, whose examples/hpo holds it`);
  }
  return script;
}

/**
 * Writes the dataset's training and validation events to a JSON file under `dir` (once per content: the
 * file is named by its hash) and returns its path, for the jobs to read: by default beside the example's code
 * (examples/hpo/data), which the pilots share with the driver. Not in the project's .pando: that is the
 * embedded server's own directory, which jobs' sandboxes hide.
 */
export function writeDataset(
  options: { trainEvents: number; validationEvents: number; dataSeed: number },
  dir = join(projectDir(), "examples", "hpo", "data"),
): string {
  const events = options.trainEvents + options.validationEvents;
  const { train, validation } = splitDataset(makeDataset({ n: events, seed: options.dataSeed }), options.validationEvents / events, options.dataSeed);
  const text = JSON.stringify({
    featureNames: train.featureNames,
    train: { features: train.features, labels: train.labels },
    validation: { features: validation.features, labels: validation.labels },
  });
  const file = join(dir, `dataset-${createHash("sha256").update(text).digest("hex").slice(0, 16)}.json`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, text);
    renameSync(partial, file);
  }
  return file;
}
