import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { PANDO_ROOT } from "../bundle/cache.js";
import { errorMessage } from "../core/errors.js";
import { installedFrom, missingLocalTarget, relocate, type PandoSpec } from "./pando-spec.js";

export interface InitFlags {
  /** The npm spec the project installs Pando from (a tarball, a git URL, …). */
  pando?: string;
}

/** What `pando init` did. */
export interface InitResult {
  dir: string;
  /** The pando dependency as the project's package.json has it, and where that came from. */
  spec: string;
  specFrom: string;
  created: string[];
  /** Files that existed and were left as they were, with what the user may want to add to them. */
  skipped: Array<{ file: string; note?: string }>;
}

/** The development tools of the new project: the versions Pando itself is built and tested with. */
const DEV_TOOLS = ["@types/node", "tsx", "typescript"] as const;

type PandoManifest = {
  engines?: Record<string, string>;
  devDependencies?: Record<string, string>;
  allowScripts?: Record<string, boolean>;
};

/** The project files (templates/project), by their name in the project. npm never ships a file named .gitignore, hence "gitignore". */
function templateFiles(templateDir: string, sub = ""): Array<{ from: string; to: string }> {
  return readdirSync(join(templateDir, sub)).sort().flatMap((name) => {
    const from = join(templateDir, sub, name);
    if (statSync(from).isDirectory()) return templateFiles(templateDir, join(sub, name));
    return [{ from, to: join(sub, name === "gitignore" ? ".gitignore" : name) }];
  });
}

/** A package name npm accepts, from the directory's name. */
function packageName(dir: string): string {
  const name = basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, "-")
    .replace(/^[._-]+/, "")
    .slice(0, 214);
  return name || "pando-project";
}

/** Reads an existing package.json; refuses one that is not JSON or not an ES module package. */
function existingManifest(path: string): Record<string, unknown> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`${path} is not valid JSON (${errorMessage(err)}): fix or remove it, then run pando init again`, {
      cause: err,
    });
  }
  if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest)) {
    throw new Error(`${path} is not a package.json object: fix or remove it, then run pando init again`);
  }
  const type = (manifest as { type?: unknown }).type;
  if (type !== "module") {
    throw new Error(
      `${path} makes this a CommonJS package (its "type" is ${type === undefined ? "not set" : JSON.stringify(type)}); ` +
        `Pando's works and workflows are ES modules: add "type": "module" to it (and rename its CommonJS .js files to .cjs), ` +
        "then run pando init again",
    );
  }
  return manifest as Record<string, unknown>;
}

function specFor(flags: InitFlags, cwd: string, pandoRoot: string): PandoSpec {
  if (flags.pando !== undefined) return { spec: flags.pando, baseDir: cwd, from: "--pando" };
  const found = installedFrom(pandoRoot);
  if (found) return found;
  throw new Error(
    `this Pando (${resolve(pandoRoot)}) was not installed by an npm project, so there is no spec to install it from: ` +
      "pass --pando with one, e.g. --pando ../pando-0.1.0.tgz (a tarball made by `npm pack` in a Pando checkout) " +
      "or --pando git+https://<host>/<repository>.git",
  );
}

/**
 * Scaffolds a Pando project in `dir`: package.json (an ES module package depending on Pando), tsconfig.json,
 * a first work and workflow, a program that submits it, a queues file and .gitignore. Existing files are
 * never overwritten; an existing CommonJS package.json is refused before anything is written.
 */
export function initProject(dirArg: string, flags: InitFlags, cwd = process.cwd(), pandoRoot = PANDO_ROOT): InitResult {
  const dir = resolve(cwd, dirArg);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new Error(`${dir} exists and is not a directory`);
  const manifestPath = join(dir, "package.json");
  const existing = existsSync(manifestPath) ? existingManifest(manifestPath) : undefined;
  const found = specFor(flags, cwd, pandoRoot);
  const spec = relocate(found.spec, found.baseDir, dir);
  const missing = missingLocalTarget(spec, dir);
  if (missing) throw new Error(`Pando's spec ${found.spec} (${found.from}) names ${missing}, which does not exist`);

  const pando = JSON.parse(readFileSync(join(pandoRoot, "package.json"), "utf8")) as PandoManifest;
  const devDependencies = Object.fromEntries(DEV_TOOLS.map((name) => [name, pando.devDependencies?.[name] ?? "*"]));
  const created: string[] = [];
  const skipped: InitResult["skipped"] = [];
  mkdirSync(dir, { recursive: true });

  if (existing) {
    const deps = { ...(existing.dependencies as object | undefined), ...(existing.devDependencies as object | undefined) };
    const lacking: string[] = [];
    if (!("pando" in deps)) lacking.push(`npm install ${spec}`);
    if (!DEV_TOOLS.every((tool) => tool in deps)) lacking.push(`npm install --save-dev ${DEV_TOOLS.join(" ")}`);
    skipped.push({ file: "package.json", note: lacking.length ? `add what the project needs: ${lacking.join(" && ")}` : undefined });
  } else {
    const manifest = {
      name: packageName(dir),
      version: "0.1.0",
      private: true,
      type: "module",
      ...(pando.engines ? { engines: pando.engines } : {}),
      scripts: {
        pi: "pando run src/pi.ts#estimatePi",
        server: "pando server --queues-file queues.json",
        submit: "tsx src/submit.ts",
        typecheck: "tsc --noEmit",
      },
      dependencies: { pando: spec },
      devDependencies,
      // The install scripts npm may run (it asks for them to be named): Pando's dependencies with native code,
      // Pando itself too, whose `prepare` builds it when it is installed from a git URL.
      allowScripts: { pando: true, ...pando.allowScripts },
    };
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    created.push("package.json");
  }

  for (const { from, to } of templateFiles(join(pandoRoot, "templates", "project"))) {
    const target = join(dir, to);
    if (existsSync(target)) {
      const ignoresState = to === ".gitignore" && !/^\/?\.pando\/?$/m.test(readFileSync(target, "utf8"));
      skipped.push({ file: to, note: ignoresState ? "add .pando/ to it: the local server's state lives there" : undefined });
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, readFileSync(from));
    created.push(to);
  }
  return { dir, spec, specFrom: found.from, created, skipped };
}

/** `pando init [dir] [--pando spec]`: scaffolds the project and prints what it did and what to do next. */
export function initCommand(dirArg: string | undefined, flags: InitFlags): void {
  const r = initProject(dirArg ?? ".", flags);
  const shown = relative(process.cwd(), r.dir) || ".";
  const out: string[] = [`Pando project in ${shown}, with pando from ${r.spec} (${r.specFrom})`];
  for (const file of r.created) out.push(`  created  ${file}`);
  for (const { file, note } of r.skipped) out.push(`  skipped  ${file} (it exists${note ? `; ${note}` : ""})`);
  const token = `$(node -p 'require("./.pando/credentials.json").userToken')`;
  out.push(
    "",
    "Next:",
    ...(shown === "." ? [] : [`  cd ${shown}`]),
    "  npm install",
    "  npx pando run src/pi.ts#estimatePi 8 1000000   # here: an embedded server and local pilots, then the result",
    "  npm run server                                  # or a server that stays up (its pilots: queues.json); then, elsewhere:",
    `  PANDO_SERVER=http://127.0.0.1:8720 PANDO_TOKEN=${token} npx tsx src/submit.ts`,
    "",
  );
  process.stdout.write(out.join("\n"));
}
