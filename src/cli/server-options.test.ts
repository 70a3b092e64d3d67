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

describe("the settings of a server others connect to", () => {
  it("takes HTTPS and the public URL for `pando server`, from flags or the environment", () => {
    const saved = process.env.PANDO_PUBLIC_URL;
    process.env.PANDO_PUBLIC_URL = "https://pando.example.org";
    try {
      const config = serverConfigFrom({ dataDir: ".pando", tlsCert: "c.pem", tlsKey: "k.pem", ca: "ca.pem" }, { listening: true });
      expect(config).toMatchObject({ tlsCertFile: "c.pem", tlsKeyFile: "k.pem", publicUrl: "https://pando.example.org", caFile: "ca.pem" });
    } finally {
      if (saved === undefined) delete process.env.PANDO_PUBLIC_URL;
      else process.env.PANDO_PUBLIC_URL = saved;
    }
  });

  it("leaves the public URL out of the embedded server of `pando run`, which only its own process and pilots reach", () => {
    const config = serverConfigFrom({ dataDir: ".pando", tlsCert: "c.pem", tlsKey: "k.pem", publicUrl: "https://pando.example.org" });
    expect(config.tlsCertFile).toBe("c.pem");
    expect(config.publicUrl).toBeUndefined();
  });
});
