import { describe, expect, it } from "vitest";
import { serverConfigFrom } from "./server-options.js";

describe("the broker's role logins in the server settings", () => {
  it("gives the pilots' and the drivers' logins beside the server's own", () => {
    const config = serverConfigFrom({
      dataDir: ".pando",
      broker: "stomp://mq:61613",
      brokerUser: "server",
      brokerPilotUser: "p",
      brokerPilotPassword: "pp",
      brokerDriverUser: "d",
      brokerDriverPassword: "dd",
    });
    expect(config.broker).toMatchObject({
      login: "server",
      accounts: { pilot: { login: "p", passcode: "pp" }, driver: { login: "d", passcode: "dd" } },
    });
  });

  it("has no role login unless one is given", () => {
    expect(serverConfigFrom({ dataDir: ".pando", broker: "stomp://mq" }).broker?.accounts).toEqual({});
  });
});
