import { describe, expect, it } from "vitest";
import { END_MARKER, replaceSection, START_MARKER } from "./summary.js";

describe("replaceSection", () => {
  it("rewrites only what stands between the markers", () => {
    const md = `# B\n\n${START_MARKER}\nold table\n${END_MARKER}\n\n## Rest\n`;
    const once = replaceSection(md, ["new", "table"]);
    expect(once).toBe(`# B\n\n${START_MARKER}\nnew\ntable\n${END_MARKER}\n\n## Rest\n`);
    expect(replaceSection(once, ["new", "table"])).toBe(once);
  });

  it("says where the markers must go when they are missing", () => {
    expect(() => replaceSection("# B\n", ["x"])).toThrow(/no "<!-- bench:summary -->" … "<!-- \/bench:summary -->" section/);
  });
});
