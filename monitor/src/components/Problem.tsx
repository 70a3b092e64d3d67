import type { ApiError } from "../api.js";

const TITLES: Record<number, string> = {
  0: "The server cannot be reached",
  400: "Invalid request",
  401: "Not signed in",
  403: "Not allowed",
  404: "Not found",
  409: "Not possible now",
};

/** An error answer, with the server's message (it says what was wrong and what to do). */
export function Problem({ error }: { error: ApiError }) {
  return (
    <div class="problem" role="alert" data-testid="problem">
      <strong>{TITLES[error.status] ?? `Error ${error.status}`}</strong>
      <span data-testid="problem-message">{error.message}</span>
    </div>
  );
}
