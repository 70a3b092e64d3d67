import { describe, expect, it } from "vitest";
import { withoutPando } from "./environment-manifest.js";

describe("withoutPando", () => {
  it("removes Pando from the package.json and the lockfile, and nothing else", () => {
    const packageJson = JSON.stringify({
      name: "study",
      type: "module",
      dependencies: { pando: "git+https://example.org/pando.git", bufferutil: "4.0.9" },
      devDependencies: { tsx: "4.23.15" },
    });
    const lockfile = JSON.stringify({
      name: "study",
      lockfileVersion: 3,
      packages: {
        "": { name: "study", dependencies: { pando: "git+https://example.org/pando.git", bufferutil: "4.0.9" }, devDependencies: { tsx: "4.23.15" } },
        "node_modules/pando": { version: "0.1.0", resolved: "git+https://example.org/pando.git#0123", dependencies: { fastify: "5.12.8" } },
        "node_modules/fastify": { version: "5.12.8" },
        "node_modules/bufferutil": { version: "4.0.9" },
      },
    });
    const out = withoutPando(packageJson, lockfile);
    expect(JSON.parse(out.packageJson)).toEqual({
      name: "study",
      type: "module",
      dependencies: { bufferutil: "4.0.9" },
      devDependencies: { tsx: "4.23.15" },
    });
    expect(JSON.parse(out.lockfile).packages).toEqual({
      "": { name: "study", dependencies: { bufferutil: "4.0.9" }, devDependencies: { tsx: "4.23.15" } },
      "node_modules/fastify": { version: "5.12.8" },
      "node_modules/bufferutil": { version: "4.0.9" },
    });
  });

  it("handles the tree of a version 1 lockfile", () => {
    const lockfile = JSON.stringify({ lockfileVersion: 1, dependencies: { pando: { version: "file:../pando-0.1.0.tgz" }, ms: { version: "2.1.3" } } });
    const out = withoutPando(JSON.stringify({ dependencies: { pando: "file:../pando-0.1.0.tgz", ms: "2.1.3" } }), lockfile);
    expect(JSON.parse(out.lockfile).dependencies).toEqual({ ms: { version: "2.1.3" } });
    expect(JSON.parse(out.packageJson).dependencies).toEqual({ ms: "2.1.3" });
  });

  it("passes on what is not JSON, for npm to report", () => {
    expect(withoutPando("{ nope", "{}")).toEqual({ packageJson: "{ nope", lockfile: "{}" });
  });
});
