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
