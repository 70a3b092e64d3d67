import { describe, expect, it } from "vitest";
import { pilotEnvironment } from "./pilot-backend.js";

describe("pilotEnvironment", () => {
  it("gives a pilot the server's environment without its database and broker logins, and its own token", () => {
    const env = pilotEnvironment(
      {
        PATH: "/usr/bin",
        PANDO_SANDBOX: "bwrap",
        PANDO_DB: "postgres://pando:secret@db/pando",
        PANDO_BROKER: "stomp://u:p@broker:61613",
        PANDO_BROKER_USER: "pando",
        PANDO_BROKER_PASSWORD: "secret",
        PANDO_TOKEN: "the server's user's token",
      },
      "pilot-token",
    );
    expect(env).toEqual({ PATH: "/usr/bin", PANDO_SANDBOX: "bwrap", PANDO_TOKEN: "pilot-token" });
  });
});

describe("pilotEnvironment with what the pilot needs to reach its server", () => {
  it("adds the CA and plain-HTTP permission the server hands on, and the token last", () => {
    const env = pilotEnvironment({ PATH: "/usr/bin", PANDO_TOKEN: "other" }, "pilot-token", {
      PANDO_CA: "/etc/pando/ca.pem",
      PANDO_INSECURE_HTTP: "1",
    });
    expect(env).toEqual({ PATH: "/usr/bin", PANDO_CA: "/etc/pando/ca.pem", PANDO_INSECURE_HTTP: "1", PANDO_TOKEN: "pilot-token" });
  });
});
