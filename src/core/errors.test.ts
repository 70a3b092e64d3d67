import { describe, expect, it } from "vitest";
import { errorFields, errorMessage, killedError } from "./errors.js";

describe("errorMessage", () => {
  it("gives an Error's message, without its name", () => {
    expect(errorMessage(new TypeError("bad type"))).toBe("bad type");
  });

  it("gives anything else thrown as text", () => {
    expect(errorMessage("plain text")).toBe("plain text");
    expect(errorMessage(42)).toBe("42");
    expect(errorMessage(undefined)).toBe("undefined");
  });
});

describe("errorFields", () => {
  it("keeps an Error's name, message and stack", () => {
    const err = new RangeError("out of range");
    expect(errorFields(err)).toEqual({ name: "RangeError", message: "out of range", stack: err.stack });
  });

  it("keeps only the text of anything else", () => {
    expect(errorFields({ toString: () => "an object" })).toEqual({ message: "an object" });
  });
});

describe("killedError", () => {
  it("says by default that a user killed the work", () => {
    expect(killedError()).toEqual({ code: "killed", message: "killed by a user" });
  });

  it("says why when told", () => {
    expect(killedError("the task was killed")).toEqual({ code: "killed", message: "the task was killed" });
  });
});
