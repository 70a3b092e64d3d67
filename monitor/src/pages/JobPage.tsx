import type { ErrorInfo } from "../../../src/core/errors.js";
import { Facts } from "../components/Facts.js";
import { LiveBadge } from "../components/LiveBadge.js";
import { Problem } from "../components/Problem.js";
import { StatusBadge } from "../components/StatusBadge.js";
import { useJobPage } from "../data/use-job-page.js";
import { elapsed, formatDuration, formatTime, prettyJson } from "../format.js";
import { href } from "../route.js";

function ErrorDetails({ error, testId }: { error: ErrorInfo; testId: string }) {
  return (
    <div class="error-details" data-testid={testId}>
      <p class="error-text">
        <code>{error.code}</code> {error.name ? `${error.name}: ` : ""}
        <span data-testid="error-text">{error.message}</span>
      </p>
      {(typeof error.exitCode === "number" || error.signal) && (
        <p class="quiet">
          {typeof error.exitCode === "number" && `exit code ${error.exitCode} `}
          {error.signal && `signal ${error.signal}`}
        </p>
      )}
      {error.stack && (
        <pre class="stack" data-testid="stack">
          {error.stack}
        </pre>
      )}
    </div>
  );
}

function Output({ label, text, testId }: { label: string; text: string | null; testId: string }) {
  return (
    <div class="output">
      <h4>{label}</h4>
      {text ? (
        <pre class="log" data-testid={testId}>
          {text}
        </pre>
      ) : (
        <p class="quiet">nothing</p>
      )}
    </div>
  );
}

/** One job: its arguments and result, its error, and every attempt with its output. */
export function JobPage({ id }: { id: number }) {
  const { job, live } = useJobPage(id);
  const now = Date.now();

  if (job.data === undefined) {
    return (
      <section class="page">
        <header class="page-head">
          <h1>Job {id}</h1>
        </header>
        {job.error ? <Problem error={job.error} /> : <p class="quiet">Loading…</p>}
      </section>
    );
  }
  const j = job.data;
  return (
    <section class="page">
      <nav class="crumbs">
        <a href={href.workflows()}>Workflows</a> / <a href={href.workflow(j.workflowId)}>workflow {j.workflowId}</a> /{" "}
        <a href={href.task(j.taskId)}>task {j.taskId}</a> / job {j.id}
      </nav>
      <header class="page-head">
        <h1>
          Job {j.id} <span class="id">index {j.index}</span>
        </h1>
        <StatusBadge entity="job" status={j.state} />
        <LiveBadge state={live} />
      </header>
      {job.error && <Problem error={job.error} />}
      <Facts
        items={[
          ["Key", <code>{j.key}</code>],
          ["Queue", j.queue],
          ["Attempts", j.attempts.length],
          ["Created", formatTime(j.createdAt)],
          ["Started", formatTime(j.startedAt)],
          ["Ended", formatTime(j.endedAt)],
          ["Duration", formatDuration(elapsed(j.startedAt, j.endedAt, now))],
          ["Result via", j.via],
        ]}
      />
      {j.error && (
        <section class="panel bad">
          <h2>Error</h2>
          <ErrorDetails error={j.error} testId="job-error" />
        </section>
      )}
      <div class="columns">
        <section class="panel">
          <h2>Arguments</h2>
          <pre class="payload" data-testid="job-args">
            {prettyJson(j.args)}
          </pre>
        </section>
        <section class="panel">
          <h2>Result</h2>
          {j.result === null ? (
            <p class="quiet">none</p>
          ) : (
            <pre class="payload" data-testid="job-result">
              {prettyJson(j.result)}
            </pre>
          )}
        </section>
      </div>
      <section class="panel">
        <h2>Attempts</h2>
        {j.attempts.length === 0 && <p class="quiet">Not sent to a pilot yet.</p>}
        {j.attempts.map((a) => (
          <article key={a.attempt} class="attempt" data-testid="attempt">
            <header class="attempt-head">
              <h3>Attempt {a.attempt}</h3>
              <StatusBadge entity="job" status={a.state} />
              <span>pilot {a.pilot ?? "—"}</span>
              <span class="quiet">
                sent {formatTime(a.sentAt)} · started {formatTime(a.startedAt)} · ended {formatTime(a.endedAt)} · ran{" "}
                {formatDuration(elapsed(a.startedAt, a.endedAt, now))}
              </span>
            </header>
            {a.error && <ErrorDetails error={a.error} testId="attempt-error" />}
            <div class="columns">
              <Output label="stdout" text={a.stdout} testId="stdout" />
              <Output label="stderr" text={a.stderr} testId="stderr" />
            </div>
          </article>
        ))}
      </section>
    </section>
  );
}
