import { describe, expect, it } from "vitest";
import { monitorUrl } from "./monitor-command.js";

describe("monitorUrl", () => {
  it("puts the token in the fragment of the server's root", () => {
    expect(monitorUrl("http://127.0.0.1:8720", "pando_abc-_1")).toBe("http://127.0.0.1:8720/#token=pando_abc-_1");
    expect(monitorUrl("http://host:1/", "a b")).toBe("http://host:1/#token=a%20b");
  });
});
