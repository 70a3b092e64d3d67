import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { PANDO_ROOT } from "../bundle/cache.js";
import { firstFileOutside } from "./caller-file.js";

const THIS_FILE = fileURLToPath(import.meta.url);
const CALLER_FILE_MODULE = join(dirname(THIS_FILE), "caller-file.ts");

describe("firstFileOutside", () => {
  const { prepareStackTrace, stackTraceLimit } = Error;
  afterEach(() => {
    Error.prepareStackTrace = prepareStackTrace;
    Error.stackTraceLimit = stackTraceLimit;
  });

  it("names the file that called, passing over the skipped ones", () => {
    expect(firstFileOutside([CALLER_FILE_MODULE])).toBe(THIS_FILE);
  });

  it("passes over whole directories", () => {
    const found = firstFileOutside([dirname(THIS_FILE) + sep]);
    expect(found).toBeDefined();
    expect(found!.startsWith(dirname(THIS_FILE) + sep)).toBe(false);
  });

  it("reads the files that run, not what a source-mapping stack formatter says", () => {
    // What source-map-support or Node's --enable-source-maps do: frames renamed after the mapped sources.
    const formatter = (error: Error, sites: NodeJS.CallSite[]) =>
      `${error}\n${sites.map(() => `    at f (${join(PANDO_ROOT, "src", "sdk", "workflow.ts")}:1:1)`).join("\n")}`;
    Error.prepareStackTrace = formatter;
    expect(firstFileOutside([CALLER_FILE_MODULE])).toBe(THIS_FILE);
    expect(Error.prepareStackTrace).toBe(formatter);
  });

  it("sees the caller even when the program turned stack traces off", () => {
    Error.stackTraceLimit = 0;
    expect(firstFileOutside([CALLER_FILE_MODULE])).toBe(THIS_FILE);
    expect(Error.stackTraceLimit).toBe(0);
  });
});
