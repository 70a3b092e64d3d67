// The registry of works and workflows. It lives on globalThis under a well-known symbol so that every copy
// of the SDK in one process (the pilot's own and the one a user bundle imports) shares it.
import type { WorkOptions, WorkflowOptions } from "./options.js";

export type AnyFn = (...args: never[]) => unknown;

export interface WorkEntry {
  name: string;
  fn: AnyFn;
  options: WorkOptions;
  /** The user's own function when `fn` wraps it (a command work's command line). */
  source?: AnyFn;
}

export interface WorkflowEntry {
  name: string;
  fn: AnyFn;
  options: WorkflowOptions;
}

interface Registry {
  works: Map<string, WorkEntry>;
  workflows: Map<string, WorkflowEntry>;
  /**
   * Set while a worker imports a bundle only to register its works: a workflow called by the module's
   * top-level code is then not run (it never settles), and `onDriverCall` tells the loader that the
   * module reached its driver code.
   */
  loading: { active: boolean; onDriverCall: (() => void) | undefined };
}

const KEY = Symbol.for("pando.registry");

export function registry(): Registry {
  const g = globalThis as { [KEY]?: Registry };
  g[KEY] ??= { works: new Map(), workflows: new Map(), loading: { active: false, onDriverCall: undefined } };
  return g[KEY];
}

interface Definition {
  fn: AnyFn;
  options: object;
  source?: AnyFn;
}

function sameDefinition(a: Definition, b: Definition): boolean {
  return (
    a.fn.toString() === b.fn.toString() &&
    a.source?.toString() === b.source?.toString() &&
    JSON.stringify(a.options) === JSON.stringify(b.options)
  );
}

function register<T extends { name: string } & Definition>(map: Map<string, T>, kind: string, entry: T): void {
  const existing = map.get(entry.name);
  // The same module evaluated twice registers the same definition again; that is harmless.
  if (existing && !sameDefinition(existing, entry)) {
    throw new Error(
      `two different ${kind}s are named '${entry.name}'; names must be unique within a program. ` +
        `Give one of them another name: ${kind}({ name: "..." }, fn)`,
    );
  }
  map.set(entry.name, entry);
}

export function registerWork(entry: WorkEntry): void {
  register(registry().works, "work", entry);
}

export function registerWorkflow(entry: WorkflowEntry): void {
  register(registry().workflows, "workflow", entry);
}
