import { describe, expect, it } from "vitest";
import { pilotSecurityEnv } from "./server-tls.js";

describe("pilotSecurityEnv", () => {
  it("hands the server's CA to its pilots", () => {
    expect(pilotSecurityEnv("/etc/pando/ca.pem", "https://pando.example.org:8720")).toEqual({ PANDO_CA: "/etc/pando/ca.pem" });
    expect(pilotSecurityEnv(undefined, "https://pando.example.org:8720")).toEqual({});
  });

  it("lets them send their token over plain HTTP only when the server itself advertises such a URL", () => {
    expect(pilotSecurityEnv(undefined, "http://127.0.0.1:8720")).toEqual({});
    expect(pilotSecurityEnv(undefined, "http://198.18.0.2:8720")).toEqual({ PANDO_INSECURE_HTTP: "1" });
  });
});
