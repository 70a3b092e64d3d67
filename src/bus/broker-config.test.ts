import { describe, expect, it } from "vitest";
import { parseBrokerUrl, roleAccount, toSettings, type BrokerConfig } from "./broker-config.js";

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
