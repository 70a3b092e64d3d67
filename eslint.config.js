import js from "@eslint/js";
import { createNodeResolver, importX } from "eslint-plugin-import-x";
import globals from "globals";
import tseslint from "typescript-eslint";

/**
 * The folders of src/ each folder may import from, besides itself (README.md, Layout). The lists form an
 * order, each folder importing only folders before it, so the folder graph has no cycle. Type-only imports
 * count. The public entry (src/index.ts) exports the SDK; the monitor (a browser page) may import the API,
 * the domain rules and the codec only.
 */
const FOLDER_IMPORTS = {
  "src/vendor": [],
  "src/codec": [],
  "src/optimize": [],
  "src/core": ["codec"],
  "src/api": ["codec", "core"],
  "src/store": ["api", "codec", "core"],
  "src/bus": ["api", "codec", "core"],
  "src/bundle": ["codec", "core"],
  "src/sdk": ["api", "bundle", "bus", "codec", "core"],
  "src/pilot": ["api", "bundle", "bus", "codec", "core", "sdk"],
  "src/resources": ["api", "bundle", "codec", "core", "store"],
  "src/server": ["api", "bus", "codec", "core", "resources", "store", "version.ts"],
  "src/site": ["api", "codec", "core", "resources", "sdk"],
  "src/index.ts": ["codec", "core", "sdk"],
  monitor: ["api", "codec", "core"],
};

/** Packages whose values are imported through src/vendor, which the build bundles into one file each. */
const VENDORED = ["kysely", "zod", "fastify", "undici"];

/** Zones of import-x/no-restricted-paths for FOLDER_IMPORTS; `alsoAllowed` (in src/) is open to every folder, as src/vendor is. */
function folderZones(alsoAllowed = ["vendor"]) {
  return Object.entries(FOLDER_IMPORTS).map(([folder, allowed]) => ({
    target: `./${folder}`,
    from: "./src",
    except: [...new Set([...allowed, ...alsoAllowed, ...(folder.startsWith("src/") ? [folder.slice("src/".length)] : [])])].map((f) => `./${f}`),
    message: `${folder} may import only from ${allowed.length ? allowed.map((f) => `src/${f}`).join(", ") : "itself"} (FOLDER_IMPORTS in eslint.config.js).`,
  }));
}

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", ".pando/", "coverage/", "test-artifacts/", "bench/results/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  {
    // Folder boundaries and import cycles (an import written with .js names the .ts file beside it).
    files: ["src/**/*.ts", "src/**/*.tsx", "monitor/**/*.ts", "monitor/**/*.tsx"],
    plugins: { "import-x": importX },
    settings: {
      "import-x/extensions": [".ts", ".tsx", ".js"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts", ".tsx"] },
      "import-x/resolver-next": [createNodeResolver({ extensionAlias: { ".js": [".ts", ".tsx", ".js"] } })],
    },
    rules: {
      "import-x/no-restricted-paths": ["error", { basePath: import.meta.dirname, zones: folderZones() }],
      // Cycles through value imports: type-only imports vanish when compiled, and the rule never follows them.
      "import-x/no-cycle": "error",
    },
  },
  // A unit test may use Pando as its users do, through the public entry.
  {
    files: ["src/**/*.test.ts"],
    rules: { "import-x/no-restricted-paths": ["error", { basePath: import.meta.dirname, zones: folderZones(["vendor", "index.ts"]) }] },
  },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/vendor/**", "src/**/*.test.ts", "src/**/*.conformance.ts", "src/**/*.fixture.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: VENDORED.map((name) => ({
            name,
            allowTypeImports: true,
            message: `import ${name}'s values from src/vendor/${name}.js, which the build bundles into one file (scripts/build-vendor.mjs)`,
          })),
        },
      ],
    },
  },
  { files: ["**/*.js", "**/*.mjs"], languageOptions: { globals: globals.node } },
  // Tests read JSON answers of the HTTP API, whose shape they then assert.
  { files: ["test/**/*.ts"], rules: { "@typescript-eslint/no-explicit-any": "off" } },
);
