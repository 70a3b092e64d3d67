import type { z } from "zod";

/** An error a request can cause, with the HTTP status and a message that says what to do. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const notFound = (what: string, id: number | string) =>
  new ApiError(404, "not_found", `${what} ${id} does not exist`);

export const forbidden = (message: string) => new ApiError(403, "forbidden", message);

export const conflict = (message: string) => new ApiError(409, "conflict", message);

/** Turns a zod failure into one readable 400: every problem with its path. */
export function invalid(where: string, error: z.ZodError): ApiError {
  const problems = error.issues.map((i) => {
    const path = i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
    return `${where}${path}: ${i.message}`;
  });
  return new ApiError(400, "invalid_request", problems.join("; "));
}

export function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalid(where, result.error);
  return result.data;
}
