// Shipping a program's project directory with its workflows: packed (project-archive.ts) under its settings
// (project-config.ts) and uploaded to the server's code cache once per hash.
import { BuildCache, buildCacheDir } from "./build-cache.js";
import { packProject, type ProjectArchive } from "./project-archive.js";
import { projectSettings, type ProjectSettings } from "./project-config.js";
import { projectDirOf } from "./project-dir.js";
import { uploadProject, type BundleStore } from "./upload.js";

/** What shipping a project told its user: how big it was, which links it left out. */
export interface ShippedProject {
  hash: string;
  files: number;
  bytes: number;
  skippedLinks: string[];
}

/**
 * The archive of the project directory of the program whose entry file is `entry`, packed under its settings;
 * undefined if the project ships none ("ship": false, --no-project).
 */
export function packProjectOf(entry: string, run: Partial<ProjectSettings> = {}): ProjectArchive | undefined {
  const dir = projectDirOf(entry);
  const settings = projectSettings(dir, run);
  if (!settings.ship) return undefined;
  return packProject(dir, settings, new BuildCache(buildCacheDir(), "projects"));
}

/** Puts a packed project archive in the server's code cache; undefined for none. */
export async function shipProject(client: BundleStore, archive: ProjectArchive | undefined): Promise<ShippedProject | undefined> {
  if (!archive) return undefined;
  await uploadProject(client, archive);
  return { hash: archive.hash, files: archive.files.length, bytes: archive.bytes, skippedLinks: archive.skippedLinks };
}
