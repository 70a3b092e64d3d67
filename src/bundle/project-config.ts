// What of a project directory ships: the "pando": { "project": { … } } field of its package.json, under the
// options of the run (pando run's --project-* flags), over the defaults.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseByteSize } from "../codec/limits.js";
import { PROJECT_ARCHIVE_DEFAULTS, ProjectArchiveError, type ProjectArchiveOptions } from "./project-archive.js";

/** The project's archive settings as package.json may give them. */
interface ProjectField {
  /** false: ship no archive (jobs see the project directory only where the pilots share its file system). */
  ship?: boolean;
  exclude?: string[];
  include?: string[];
  maxBytes?: number | string;
  maxFiles?: number;
}

export interface ProjectSettings extends ProjectArchiveOptions {
  ship: boolean;
}

function strings(value: unknown, where: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) throw new ProjectArchiveError(`${where} must be a list of patterns (strings)`);
  return value as string[];
}

/** The "pando.project" field of the project's package.json, checked (an absent field or file: none). */
function fieldOf(dir: string): ProjectField {
  let pkg: unknown;
  try {
    pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  } catch {
    return {};
  }
  const field = (pkg as { pando?: { project?: unknown } } | null)?.pando?.project;
  if (field === undefined) return {};
  const where = `"pando.project" in ${join(dir, "package.json")}`;
  if (typeof field !== "object" || field === null || Array.isArray(field)) throw new ProjectArchiveError(`${where} must be an object`);
  const f = field as Record<string, unknown>;
  const known = ["ship", "exclude", "include", "maxBytes", "maxFiles"];
  const unknown = Object.keys(f).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new ProjectArchiveError(`${where} has unknown field(s) ${unknown.join(", ")}; known: ${known.join(", ")}`);
  if (f.ship !== undefined && typeof f.ship !== "boolean") throw new ProjectArchiveError(`${where}.ship must be true or false`);
  if (f.maxBytes !== undefined && typeof f.maxBytes !== "number" && typeof f.maxBytes !== "string") {
    throw new ProjectArchiveError(`${where}.maxBytes must be a size ("200MiB") or a number of bytes`);
  }
  if (f.maxFiles !== undefined && (typeof f.maxFiles !== "number" || !Number.isInteger(f.maxFiles) || f.maxFiles <= 0)) {
    throw new ProjectArchiveError(`${where}.maxFiles must be a positive whole number`);
  }
  return {
    ship: f.ship as boolean | undefined,
    exclude: strings(f.exclude, `${where}.exclude`),
    include: strings(f.include, `${where}.include`),
    maxBytes: f.maxBytes as number | string | undefined,
    maxFiles: f.maxFiles as number | undefined,
  };
}

function bytes(value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return typeof value === "number" ? parseByteSize(String(value)) : parseByteSize(value);
  } catch (err) {
    throw new ProjectArchiveError(`"pando.project.maxBytes": ${(err as Error).message}`);
  }
}

/** The settings of the project in `dir`: the run's options over its package.json's over the defaults; patterns add up. */
export function projectSettings(dir: string, run: Partial<ProjectSettings> = {}): ProjectSettings {
  const field = fieldOf(dir);
  return {
    ship: run.ship ?? field.ship ?? true,
    exclude: [...(field.exclude ?? []), ...(run.exclude ?? [])],
    include: [...(field.include ?? []), ...(run.include ?? [])],
    maxBytes: run.maxBytes ?? bytes(field.maxBytes) ?? PROJECT_ARCHIVE_DEFAULTS.maxBytes,
    maxFiles: run.maxFiles ?? field.maxFiles ?? PROJECT_ARCHIVE_DEFAULTS.maxFiles,
  };
}
