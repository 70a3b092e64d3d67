import { describe, expect, it } from "vitest";
import { describeBroker, fromSettings, parseBrokerUrl, redactUrl, roleAccount, toSettings, type BrokerConfig } from "./broker-config.js";

describe("broker logins per role", () => {
  const base = parseBrokerUrl("stomp://server:secret@mq:61613");

  it("tells each role only its own login, and no broker at all to a role without one", () => {
    const config: BrokerConfig = { ...base, accounts: { pilot: { login: "p", passcode: "pp" } } };
    expect(toSettings(config, "pilot")).toEqual({ endpoints: ["mq:61613"], login: "p", passcode: "pp", prefix: "pando" });
    expect(toSettings(config, "driver")).toBeNull();
    expect(toSettings(base, "pilot")).toBeNull();
    expect(JSON.stringify(toSettings(config, "pilot"))).not.toContain("secret");
  });

  it("reads a role's user and password, and refuses a password without a user", () => {
    expect(roleAccount("driver", "d", "dd")).toEqual({ login: "d", passcode: "dd" });
    expect(roleAccount("driver", "d", undefined)).toEqual({ login: "d" });
    expect(roleAccount("driver", undefined, undefined)).toBeUndefined();
    expect(roleAccount("driver", "", "")).toBeUndefined();
    expect(() => roleAccount("pilot", undefined, "pp")).toThrow(/--broker-pilot-user/);
  });
});

describe("brokers over TLS (stomp+ssl://)", () => {
  it("reads stomp+ssl URLs, with TLS's default port, and tells pilots and drivers to connect the same way", () => {
    const config = parseBrokerUrl("stomp+ssl://u:p@mq.example.org,mq2.example.org:61700");
    expect(config).toMatchObject({
      tls: true,
      login: "u",
      passcode: "p",
      endpoints: [
        { host: "mq.example.org", port: 61614 },
        { host: "mq2.example.org", port: 61700 },
      ],
    });
    expect(describeBroker(config)).toBe("stomp+ssl://u@mq.example.org:61614,mq2.example.org:61700");
    const settings = toSettings({ ...config, accounts: { pilot: { login: "pl" } } }, "pilot")!;
    expect(settings).toEqual({ endpoints: ["mq.example.org:61614", "mq2.example.org:61700"], tls: true, login: "pl", prefix: "pando" });
    expect(fromSettings(settings).tls).toBe(true);
  });

  it("keeps plain STOMP as it was", () => {
    const config = parseBrokerUrl("stomp://mq");
    expect(config.tls).toBeUndefined();
    expect(config.endpoints).toEqual([{ host: "mq", port: 61613 }]);
    expect(toSettings({ ...config, accounts: { driver: { login: "d" } } }, "driver")).not.toHaveProperty("tls");
  });

  it("hides the password of a stomp+ssl URL in its errors", () => {
    expect(redactUrl("stomp+ssl://u:secret@mq:1")).toBe("stomp+ssl://u:***@mq:1");
    expect(() => parseBrokerUrl("stomp+ssl://u:secret@mq:99999")).toThrow(/'mq:99999' in 'stomp\+ssl:\/\/u:\*\*\*@mq:99999'/);
    expect(() => parseBrokerUrl("stomps://mq")).toThrow(/stomp\+ssl:\/\/… for TLS/);
  });
});
