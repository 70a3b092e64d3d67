import { describe, expect, it } from "vitest";
import { ApiError, errorFromAnswer } from "./errors.js";

describe("ApiError", () => {
  it("is named PandoApiError, as drivers see it", () => {
    const err = new ApiError(409, "conflict", "the call differs from the earlier run's");
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe("PandoApiError");
    expect(String(err)).toBe("PandoApiError: the call differs from the earlier run's");
  });

  it("reads an error answer: Pando's body with its code, another code as http_error, a page that is not JSON by its status", () => {
    expect(errorFromAnswer(404, JSON.stringify({ error: { code: "not_found", message: "task 3 does not exist" } }), "GET /x")).toMatchObject({
      status: 404,
      code: "not_found",
      message: "task 3 does not exist",
    });
    expect(errorFromAnswer(400, JSON.stringify({ error: { code: "no_such_code", message: "m" } }), "GET /x").code).toBe("http_error");
    expect(errorFromAnswer(502, "<html>bad gateway</html>", "GET /x")).toMatchObject({
      status: 502,
      code: "http_error",
      message: "GET /x failed with HTTP 502: <html>bad gateway</html>",
    });
  });
});
