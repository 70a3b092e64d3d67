import type { TaskView } from "../../../src/api/tasks.js";
import { ObjectiveChart } from "../charts/ObjectiveChart.js";
import { ParameterChart } from "../charts/ParameterChart.js";
import { TaskLanes } from "../charts/TaskLanes.js";
import { ConfirmAction } from "../components/ConfirmAction.js";
import { ErrorGroups } from "../components/ErrorGroups.js";
import { Facts } from "../components/Facts.js";
import { LiveBadge } from "../components/LiveBadge.js";
import { Problem } from "../components/Problem.js";
import { ProgressBar } from "../components/ProgressBar.js";
import { StatusBadge } from "../components/StatusBadge.js";
import { useWorkflowPage } from "../data/use-workflow-page.js";
import { elapsed, formatCount, formatDuration, formatTime, prettyJson, progressOf, shorten } from "../format.js";
import { href } from "../route.js";

function TasksTable({ tasks, now }: { tasks: readonly TaskView[]; now: number }) {
  if (tasks.length === 0) return <p class="quiet">No tasks yet.</p>;
  return (
    <div class="table-wrap">
      <table class="grid" data-testid="tasks">
        <thead>
          <tr>
            <th class="num">ID</th>
            <th>Work</th>
            <th class="num">Seq</th>
            <th>Status</th>
            <th>Queue</th>
            <th class="num">Jobs</th>
            <th class="num">Finished</th>
            <th class="num">Failed</th>
            <th class="num">Running</th>
            <th>Progress</th>
            <th>Created</th>
            <th>Duration</th>
          </tr>
        </thead>
        <tbody>
          {tasks.map((t) => (
            <tr key={t.id} data-testid="task-row" data-id={t.id}>
              <td class="num">
                <a href={href.task(t.id)}>{t.id}</a>
              </td>
              <td>
                <a href={href.task(t.id)} data-testid="task-work">
                  {t.work}
                </a>
                {t.kind === "driver" && <span class="tag">driver</span>}
              </td>
              <td class="num">{t.seq ?? "—"}</td>
              <td>
                <StatusBadge entity="task" status={t.status} />
                {t.pendingReason && (
                  <div class="note" data-testid="task-pending-reason">
                    {t.pendingReason}
                  </div>
                )}
              </td>
              <td>{t.queue}</td>
              <td class="num">{formatCount(t.nJobs)}</td>
              <td class="num">{formatCount(t.nFinished)}</td>
              <td class={`num${t.nFailed > 0 ? " failed" : ""}`}>{formatCount(t.nFailed)}</td>
              <td class="num">{formatCount(t.nRunning ?? 0)}</td>
              <td>
                <ProgressBar percent={progressOf(t)} />
              </td>
              <td class="time">{formatTime(t.createdAt)}</td>
              <td class="time">{formatDuration(elapsed(t.createdAt, t.endedAt, now))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * One workflow: its state, its tasks as a table and as a picture, its objective, its parameters against the
 * objective and its errors; live.
 */
export function WorkflowPage({ id }: { id: number }) {
  const { page, values, live, kill, retry } = useWorkflowPage(id);
  const now = Date.now();

  if (page.data === undefined) {
    return (
      <section class="page">
        <header class="page-head">
          <h1>Workflow {id}</h1>
        </header>
        {page.error ? <Problem error={page.error} /> : <p class="quiet">Loading…</p>}
      </section>
    );
  }
  const { workflow: w, errors, objective, sums, ended } = page.data;
  const error = w.error;
  return (
    <section class="page">
      <nav class="crumbs">
        <a href={href.workflows()}>Workflows</a> / workflow {w.id}
      </nav>
      <header class="page-head">
        <h1>
          {w.name} <span class="id">workflow {w.id}</span>
        </h1>
        <StatusBadge entity="workflow" status={w.status} />
        <LiveBadge state={live} />
        <div class="actions">
          <ConfirmAction
            label="Kill"
            danger
            question={`Kill workflow ${w.id} and every unfinished task?`}
            disabled={ended}
            testId="kill-workflow"
            run={kill}
          />
          <ConfirmAction
            label="Retry"
            question={`Send the failed and cancelled jobs of workflow ${w.id}'s ended tasks back to the queue? Its resumed driver reads their new results.`}
            disabled={w.status !== "suspended"}
            testId="retry-workflow"
            run={retry}
          />
        </div>
      </header>
      {page.error && <Problem error={page.error} />}
      <Facts
        items={[
          ["User", w.user],
          ["Mode", w.mode],
          ["Queue", w.queue],
          ["Created", formatTime(w.createdAt)],
          ["Ended", formatTime(w.endedAt)],
          ["Duration", formatDuration(elapsed(w.createdAt, w.endedAt, now))],
          ["Tasks", formatCount(w.tasks.length)],
          ["Jobs", formatCount(sums.nJobs)],
          ["Finished", formatCount(sums.nFinished)],
          ["Failed", formatCount(sums.nFailed)],
          ["Running", formatCount(sums.nRunning)],
          ["Progress", <ProgressBar percent={progressOf(sums)} />],
          ["Driver task", w.driverTaskId === null ? null : <a href={href.task(w.driverTaskId)}>task {w.driverTaskId}</a>],
          ["Seed", w.seed],
          ["Bundle", w.bundleHash === null ? null : <code title={w.bundleHash}>{shorten(w.bundleHash)}</code>],
        ]}
      />
      {w.suspendedAt !== null && (
        <section class={`panel${w.status === "suspended" ? " partial" : ""}`}>
          <h2>Suspended</h2>
          <p data-testid="workflow-suspension">
            {formatTime(w.suspendedAt)}: {w.suspendReason ?? "no reason recorded"}
          </p>
          {w.status === "suspended" && (
            <p class="quiet">
              Its driver stopped before the body ended. Resume it with <code>pando run &lt;file&gt;#{w.name} &lt;same arguments&gt; --resume {w.id}</code>:
              finished calls are not run again.
            </p>
          )}
        </section>
      )}
      {w.result !== null && (
        <section class="panel">
          <h2>Result</h2>
          <pre class="payload" data-testid="workflow-result">
            {prettyJson(w.result)}
          </pre>
        </section>
      )}
      {error && (
        <section class="panel bad">
          <h2>Error</h2>
          <p class="error-text" data-testid="workflow-error">
            {"name" in error && error.name ? `${error.name}: ` : ""}
            {error.message}
          </p>
          {error.stack && <pre class="stack">{error.stack}</pre>}
        </section>
      )}
      <section class="panel">
        <h2>Tasks over time</h2>
        <TaskLanes tasks={w.tasks} now={now} />
      </section>
      <ObjectiveChart series={objective} />
      {values.data && <ParameterChart series={objective} rows={values.data.rows} more={values.data.more} />}
      <section class="panel">
        <h2>Tasks</h2>
        <TasksTable tasks={w.tasks} now={now} />
      </section>
      <section class="panel">
        <h2>Errors</h2>
        <ErrorGroups groups={errors} />
      </section>
    </section>
  );
}
