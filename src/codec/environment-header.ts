// The line a bundle starts with when it needs an installed environment, written by the bundler and read by
// pilots and the server; kept apart from the bundler so that reading it does not load esbuild.

/** The first line of a bundle that needs an installed environment names it: this prefix, its hash, its packages. */
export const ENVIRONMENT_HEADER = "// pando-environment: ";
