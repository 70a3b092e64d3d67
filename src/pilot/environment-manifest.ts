// What a worker installs for a bundle's environment: the project's package.json and lockfile, less Pando.

type Json = Record<string, unknown>;

const DEPENDENCY_FIELDS = ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"] as const;

function dropPando(manifest: Json | undefined): void {
  for (const field of DEPENDENCY_FIELDS) {
    const deps = manifest?.[field];
    if (deps && typeof deps === "object") delete (deps as Json).pando;
  }
}

/**
 * The project's package.json and lockfile without Pando. An environment's `pando` is a link to the Pando that
 * runs the bundle, so installing the project's own would at best cost time (Pando's dependencies, SQLite
 * compiled) and at worst fail: a tarball path that exists on the user's machine only, a git URL the worker
 * cannot reach. Pando's own dependencies, left unreferenced in the lockfile, are then not installed (npm ci
 * prunes them). Text that is not JSON is passed on as it is, for npm to report.
 */
export function withoutPando(packageJson: string, lockfile: string): { packageJson: string; lockfile: string } {
  let manifest: Json;
  let lock: Json;
  try {
    manifest = JSON.parse(packageJson) as Json;
    lock = JSON.parse(lockfile) as Json;
  } catch {
    return { packageJson, lockfile };
  }
  dropPando(manifest);
  const packages = lock.packages as Record<string, Json> | undefined;
  dropPando(packages?.[""]);
  if (packages) delete packages["node_modules/pando"];
  // Lockfile version 1 (and 2, which keeps both forms) lists the tree under "dependencies".
  if (lock.dependencies && typeof lock.dependencies === "object") delete (lock.dependencies as Json).pando;
  return { packageJson: `${JSON.stringify(manifest, null, 2)}\n`, lockfile: `${JSON.stringify(lock, null, 2)}\n` };
}
