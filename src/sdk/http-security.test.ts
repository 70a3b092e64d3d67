import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ApiError } from "../api/errors.js";
import { HttpTransport } from "./http.js";

// Building a transport opens no connection: these cases send nothing anywhere.
describe("HttpTransport's refusals before any request", () => {
  const dir = mkdtempSync(join(tmpdir(), "pando-http-security-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses plain HTTP to another machine unless told the network is trusted", () => {
    const refused = () => new HttpTransport("http://198.18.0.1:9", "t", { security: {} });
    expect(refused).toThrow(ApiError);
    expect(refused).toThrow(/refusing to send the token over plain HTTP to 198\.18\.0\.1/);
    expect(new HttpTransport("http://198.18.0.1:9", "t", { security: { insecureHttp: true } }).baseUrl).toBe("http://198.18.0.1:9");
    expect(new HttpTransport("http://127.0.0.1:9", "t", { security: {} }).baseUrl).toBe("http://127.0.0.1:9");
  });

  it("checks every replica of a list", () => {
    expect(() => new HttpTransport("https://198.18.0.1:9,http://198.18.0.2:9", "t", { security: {} })).toThrow(/198\.18\.0\.2/);
  });

  it("takes the environment's PANDO_INSECURE_HTTP when given no security", () => {
    const saved = process.env.PANDO_INSECURE_HTTP;
    try {
      process.env.PANDO_INSECURE_HTTP = "1";
      expect(new HttpTransport("http://198.18.0.1:9", "t").baseUrl).toBe("http://198.18.0.1:9");
      process.env.PANDO_INSECURE_HTTP = "";
      expect(() => new HttpTransport("http://198.18.0.1:9", "t")).toThrow(/--insecure-http/);
    } finally {
      if (saved === undefined) delete process.env.PANDO_INSECURE_HTTP;
      else process.env.PANDO_INSECURE_HTTP = saved;
    }
  });

  it("names a CA file it cannot use", () => {
    expect(() => new HttpTransport("https://h:1", "t", { security: { caFile: join(dir, "missing.pem") } })).toThrow(
      /cannot read the CA file .*missing\.pem \(--ca \/ PANDO_CA\)/,
    );
    writeFileSync(join(dir, "junk.pem"), "not a certificate");
    expect(() => new HttpTransport("https://h:1", "t", { security: { caFile: join(dir, "junk.pem") } })).toThrow(/junk\.pem .*holds no PEM certificate/);
  });
});
