import { describe, expect, it } from "vitest";
import { CappedOutput } from "./capture.js";

describe("CappedOutput", () => {
  it("gives undefined for no output", () => {
    expect(new CappedOutput(10).text()).toBeUndefined();
    const empty = new CappedOutput(10);
    empty.append("");
    expect(empty.text()).toBeUndefined();
  });

  it("keeps everything under the limit, across chunks", () => {
    const out = new CappedOutput(10);
    out.append("abc");
    out.append("defg");
    expect(out.text()).toBe("abcdefg");
  });

  it("keeps everything exactly at an even limit", () => {
    const out = new CappedOutput(10);
    out.append("0123456789");
    expect(out.text()).toBe("0123456789");
  });

  it("keeps head and tail over the limit, noting what was dropped", () => {
    const out = new CappedOutput(10);
    out.append("abcdefghijklmn");
    expect(out.text()).toBe("abcde\n[… 4 characters of output dropped …]\njklmn");
  });

  it("counts drops over many chunks", () => {
    const out = new CappedOutput(6);
    for (const c of "0123456789") out.append(c);
    out.append("ABCDEFGHIJ");
    expect(out.text()).toBe("012\n[… 14 characters of output dropped …]\nHIJ");
  });

  it("keeps everything exactly at an odd limit", () => {
    const out = new CappedOutput(11);
    out.append("0123456789A");
    expect(out.text()).toBe("0123456789A");
  });

  it("never splits a character made of two UTF-16 units", () => {
    const out = new CappedOutput(4);
    out.append("a\u{1F600}bcdefg");
    const text = out.text()!;
    const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    expect(text).not.toMatch(loneSurrogate);
    expect(text).toBe("a\n[… 6 characters of output dropped …]\nfg");
  });
});
