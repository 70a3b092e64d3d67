import { useState } from "preact/hooks";
import { asApiError, type ApiError } from "../api.js";
import { Problem } from "./Problem.js";

interface Props {
  /** The button, e.g. "Kill". */
  label: string;
  /** What is about to happen, asked before it does. */
  question: string;
  /** Does it, and says what was done. */
  run(): Promise<string>;
  disabled?: boolean;
  danger?: boolean;
  testId: string;
}

/** A button that asks first, then acts and shows what the server said. */
export function ConfirmAction({ label, question, run, disabled, danger, testId }: Props) {
  const [stage, setStage] = useState<"idle" | "asking" | "working">("idle");
  const [outcome, setOutcome] = useState<{ done?: string; error?: ApiError }>({});
  const confirm = async () => {
    setStage("working");
    try {
      setOutcome({ done: await run() });
    } catch (err) {
      setOutcome({ error: asApiError(err) });
    }
    setStage("idle");
  };
  return (
    <div class="action" data-testid={testId}>
      {stage === "idle" ? (
        <button
          type="button"
          class={danger ? "danger" : ""}
          disabled={disabled}
          onClick={() => {
            setOutcome({});
            setStage("asking");
          }}
        >
          {label}
        </button>
      ) : (
        <span class="confirm" role="group" aria-label={question}>
          <span>{question}</span>
          <button type="button" class={danger ? "danger" : "primary"} disabled={stage === "working"} onClick={confirm} data-testid="confirm">
            Yes, {label.toLowerCase()}
          </button>
          <button type="button" disabled={stage === "working"} onClick={() => setStage("idle")}>
            Cancel
          </button>
        </span>
      )}
      {outcome.done && (
        <span class="action-done" data-testid="action-done">
          {outcome.done}
        </span>
      )}
      {outcome.error && <Problem error={outcome.error} />}
    </div>
  );
}
