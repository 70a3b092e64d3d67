// The program of a `pando run` as a bundle: built, put where it can be imported, uploaded to the server and
// warmed on the local pilots.
import { join, resolve } from "node:path";
import { BundleCache } from "../bundle/cache.js";
import { bundleEntry, type Bundle } from "../bundle/bundler.js";
import { importForRegistrations } from "../sdk/import-registrations.js";
import { uploadBundle } from "../bundle/upload.js";
import { shipProject } from "../bundle/project-ship.js";
import type { PrewarmCode } from "../core/local-pilot-start.js";
import type { ServerConfig } from "../server/config.js";
import { registry } from "../sdk/registry.js";
import type { RunProject } from "./run-project.js";
import type { RunSession } from "./run-session.js";

/** Default of --warm-wait: a bound, so that a pilot that never gets warm cannot hold the run back for long. */
export const DEFAULT_WARM_WAIT_MS = 60_000;

export interface PreparedBundle {
  bundle: Bundle;
  /** The file to import to run the program. */
  path: string;
  /** With #export: the module, imported for its registrations (its works and workflows). */
  mod: Record<string, unknown> | undefined;
  /** The project directory's archive in the code cache; undefined with --no-project. */
  projectHash: string | undefined;
}

/** Puts the bundle where it is imported from: the local pilots' code cache under the data directory. */
function place(b: Bundle, config: ServerConfig): string {
  // A bundle with packages left out (native modules) is imported from inside the project, where they are installed.
  const cache = b.environment ? join(b.environment.projectDir, "node_modules", ".cache", "pando") : resolve(join(config.dataDir, "cache"));
  return new BundleCache(cache).put(b.hash, b.code);
}

/**
 * The code the embedded server's local pilots can start executors for before the server listens: the bundle
 * placed in their cache and the project unpacked there. Undefined when they cannot: a bundle that needs
 * installed packages (an environment, which only a pilot places), or a project not unpacked early.
 */
export async function prewarmCode(bundling: Promise<Bundle>, runProject: RunProject, config: ServerConfig): Promise<PrewarmCode | undefined> {
  const [bundle, archive, placed] = await Promise.all([bundling, runProject.archive, runProject.placed]);
  if (bundle.environment || (archive && !placed)) return undefined;
  place(bundle, config);
  return { bundleHash: bundle.hash, projectHash: archive?.hash };
}

/**
 * Places the bundle; with #export, imports it for its registrations and bundles again without the packages
 * the works ask to install. Then uploads it and warms the local pilots on it.
 */
export async function prepareBundle(run: RunSession, config: ServerConfig, built: Bundle, runProject: RunProject): Promise<PreparedBundle> {
  let bundle = built;
  const path = place(bundle, config);
  let mod: Record<string, unknown> | undefined;
  if (run.target.exportName !== undefined) {
    mod = await importForRegistrations(path);
    run.timings.mark("registrations imported");
    registry().loading.active = false;
    // Packages the works ask to install rather than bundle: bundle again without them.
    const asked = [...registry().works.values(), ...registry().workflows.values()].flatMap((e) => e.options.dependencies ?? []);
    if (asked.some((d) => !(bundle.environment?.packages.includes(d) ?? false))) {
      bundle = await bundleEntry(run.target.file, { dependencies: asked });
      place(bundle, config);
    }
  }
  await uploadBundle(run.client, bundle);
  run.timings.mark("bundle uploaded");
  const { flags } = run;
  const project = await shipProject(run.client, await runProject.archive);
  run.timings.mark("project shipped");
  if (project && project.skippedLinks.length > 0) {
    run.progress.warn(`project archive: symbolic links left out (outside the project, or to a directory): ${project.skippedLinks.slice(0, 10).join(", ")}`);
  }
  // The local pilots start their executors now, so the first work call costs what the later ones cost.
  const warmWait = flags.warmWait ?? DEFAULT_WARM_WAIT_MS;
  if (warmWait > 0 && run.embedded) {
    await run.embedded.warm(bundle.hash, warmWait, project?.hash);
    run.timings.mark("local pilots warm");
  }
  return { bundle, path, mod, projectHash: project?.hash };
}
