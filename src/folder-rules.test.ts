// The repository's eslint configuration guards the folder boundaries and forbids import cycles: fed a
// forbidden import or a cycle, it fails with the rule that says so; a file within the rules passes.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ESLint } from "eslint";
import { afterAll, describe, expect, it } from "vitest";

const SRC = import.meta.dirname;
const eslint = new ESLint({ cwd: resolve(SRC, "..") });

async function ruleIds(code: string, filePath: string): Promise<Array<string | null>> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.map((m) => m.ruleId);
}

describe("folder boundaries", () => {
  it("refuse an import of the store from src/core", async () => {
    const code = `import * as store from "../store/store.js";\nexport const storeModule = store;\n`;
    expect(await ruleIds(code, join(SRC, "core", "boundary-fixture.ts"))).toEqual(["import-x/no-restricted-paths"]);
  });

  it("count type-only imports: src/store may not name the SDK's client", async () => {
    const code = `import type { PandoClient } from "../sdk/client.js";\nexport type Client = PandoClient;\n`;
    expect(await ruleIds(code, join(SRC, "store", "boundary-fixture.ts"))).toEqual(["import-x/no-restricted-paths"]);
  });

  it("let src/core import the codec", async () => {
    const code = `import { encode } from "../codec/tagged-json.js";\nexport const encoded = (x: unknown) => encode(x);\n`;
    expect(await ruleIds(code, join(SRC, "core", "boundary-fixture.ts"))).toEqual([]);
  });
});

describe("import cycles", () => {
  // no-cycle reads the imported files from disk: the two modules are written beside the sources.
  const dir = mkdtempSync(join(SRC, "cycle-fixture-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "a.ts"), `import { b } from "./b.js";\nexport const a = (): number => b() + 1;\n`);
  writeFileSync(join(dir, "b.ts"), `import { a } from "./a.js";\nexport const b = (): number => 0;\nexport const viaA = () => a();\n`);
  writeFileSync(join(dir, "c.ts"), `import { b } from "./b.js";\nexport const c = (): number => b();\n`);

  it("are refused", async () => {
    const [result] = await eslint.lintFiles([join(dir, "a.ts")]);
    expect(result!.messages.map((m) => m.ruleId)).toEqual(["import-x/no-cycle"]);
  });

  it("leave a module that only imports one of them alone", async () => {
    const [result] = await eslint.lintFiles([join(dir, "c.ts")]);
    expect(result!.messages).toEqual([]);
  });
});
