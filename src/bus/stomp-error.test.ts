import { describe, expect, it } from "vitest";
import { describeStompError } from "./stomp-error.js";

describe("describeStompError", () => {
  it("names a login ActiveMQ refused (its reason in the header, repeated in the body)", () => {
    const said = "User name [pando] or password is invalid.";
    expect(describeStompError(said, said)).toBe(`the broker refused the credentials: ${said}`);
  });

  it("names a login RabbitMQ refused (only 'Bad CONNECT' in the header, the reason in the body)", () => {
    expect(describeStompError("Bad CONNECT", "Access refused for user 'pando'\n")).toBe(
      "the broker refused the credentials: Bad CONNECT: Access refused for user 'pando'",
    );
  });

  it("gives other errors as the broker words them, with the first line of a body only", () => {
    expect(describeStompError("Bad destination", "'/nowhere' is not a valid destination\nmore\n")).toBe(
      "the broker reported an error: Bad destination: '/nowhere' is not a valid destination",
    );
    expect(describeStompError("Processing error", "java.lang.IllegalStateException: Processing error\n\tat x.y(Z.java:1)")).toBe(
      "the broker reported an error: Processing error",
    );
    expect(describeStompError(undefined, "the body alone\nsecond line")).toBe("the broker reported an error: the body alone");
    expect(describeStompError(undefined, "")).toBe("the broker reported an error without saying which");
  });
});
