// The environment an executor starts with: built from an allow-list, never the pilot's own. The pilot's
// environment holds its token (and, for pilots a server starts, the server's secrets); job code runs in the
// executor and everything it starts, so none of it may reach there.

/** Variables passed from the pilot's environment as they are: locale, terminal, proxies, certificates. */
const PASSED = new Set([
  "PATH",
  "LANG",
  "LANGUAGE",
  "TZ",
  "TERM",
  "USER",
  "LOGNAME",
  "SHELL",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "NODE_EXTRA_CA_CERTS",
  "PANDO_CA",
  "PANDO_INSECURE_HTTP",
  "CUDA_VISIBLE_DEVICES",
  "ROCR_VISIBLE_DEVICES",
  "OMP_NUM_THREADS",
]);

/** Prefixes of passed variables: the locale's categories, and the batch system's description of the job. */
const PASSED_PREFIXES = ["LC_", "SLURM_"];

/** Variables about the host's file system, passed only where the executor sees that file system (no sandbox). */
const HOST_PATHS = new Set(["HOME", "TMPDIR"]);

export interface ExecutorEnvOptions {
  /** The executor runs in a sandbox: HOME is its own directory, the host's paths mean nothing there. */
  sandboxed: boolean;
  /** The executor's own writable directory (HOME in a sandbox). */
  workDir?: string;
  /** What Pando sets for the executor (limits, the server's URL, the work root). */
  own: Record<string, string>;
  /** Values that must never reach the executor (the pilot's token), whatever variable holds them. */
  secrets: readonly string[];
}

/** The executor's environment: the allowed part of the host's, Pando's own variables, and no secret. */
export function executorEnv(host: NodeJS.ProcessEnv, options: ExecutorEnvOptions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(host)) {
    if (value === undefined) continue;
    const passed = PASSED.has(name) || PASSED_PREFIXES.some((p) => name.startsWith(p)) || (!options.sandboxed && HOST_PATHS.has(name));
    if (passed) env[name] = value;
  }
  if (options.sandboxed && options.workDir) env.HOME = options.workDir;
  env.PATH ??= "/usr/local/bin:/usr/bin:/bin";
  Object.assign(env, options.own);
  const secrets = options.secrets.filter((s) => s.length > 0);
  for (const [name, value] of Object.entries(env)) {
    if (secrets.some((s) => value.includes(s))) delete env[name];
  }
  return env;
}
