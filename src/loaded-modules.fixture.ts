// Node's loader hooks that write every module a process resolves to the file named by PANDO_LOADED_LOG: what
// the tests of entry points and of the built server read to say what a process loaded.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const HOOKS = `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.PANDO_LOADED_LOG, resolved.url + "\\n");
  return resolved;
}
`;

/** Writes the hooks into `dir`; returns the file a process imports first (`--import`) to register them. */
export function loadedModulesHook(dir: string): string {
  const hooks = join(dir, "hooks.mjs");
  writeFileSync(hooks, HOOKS);
  const register = join(dir, "register.mjs");
  writeFileSync(register, `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  return register;
}
