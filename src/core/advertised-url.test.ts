import { describe, expect, it } from "vitest";
import { advertisedUrl, plainHttpWarning, publicUrlProblem } from "./advertised-url.js";

describe("advertisedUrl", () => {
  it("is the listening address with the scheme served when no public URL is given", () => {
    expect(advertisedUrl({ host: "127.0.0.1", port: 8720, tls: false })).toBe("http://127.0.0.1:8720");
    expect(advertisedUrl({ host: "127.0.0.1", port: 8720, tls: true })).toBe("https://127.0.0.1:8720");
    expect(advertisedUrl({ host: "::1", port: 9, tls: true })).toBe("https://[::1]:9");
  });

  it("refuses every interface without a public URL, saying what to pass", () => {
    for (const host of ["0.0.0.0", "::", "[::]"]) {
      expect(() => advertisedUrl({ host, port: 8720, tls: true })).toThrow(/needs --public-url \(PANDO_PUBLIC_URL\).*--public-url https:\/\//);
    }
  });

  it("is the public URL when given, whatever the listening address", () => {
    expect(advertisedUrl({ host: "0.0.0.0", port: 8720, tls: true, publicUrl: "https://pando.example.org:8720/" })).toBe(
      "https://pando.example.org:8720",
    );
    expect(advertisedUrl({ host: "::", port: 1, tls: false, publicUrl: "https://proxy.example.org" })).toBe("https://proxy.example.org");
  });

  it("refuses a public URL that is no server address", () => {
    expect(publicUrlProblem("pando.example.org")).toMatch(/is not a URL/);
    expect(publicUrlProblem("ftp://pando.example.org")).toMatch(/must start with https:\/\//);
    expect(publicUrlProblem("https://pando.example.org/api")).toMatch(/without a path/);
    expect(publicUrlProblem("https://u:p@pando.example.org")).toMatch(/without a path or credentials/);
    expect(publicUrlProblem("https://0.0.0.0:8720")).toMatch(/every interface/);
    expect(() => advertisedUrl({ host: "0.0.0.0", port: 1, tls: true, publicUrl: "nope" })).toThrow(/is not a URL/);
  });
});

describe("plainHttpWarning", () => {
  it("warns of plain HTTP advertised to other machines only", () => {
    expect(plainHttpWarning("http://198.18.0.2:8720")).toMatch(/^clients are told http:\/\/198\.18\.0\.2:8720: plain HTTP .*--insecure-http/);
    expect(plainHttpWarning("http://127.0.0.1:8720")).toBeUndefined();
    expect(plainHttpWarning("https://198.18.0.2:8720")).toBeUndefined();
  });
});
