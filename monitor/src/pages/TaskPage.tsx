import type { JobPage } from "../../../src/api/monitoring.js";
import { TimelineChart } from "../charts/TimelineChart.js";
import { ConfirmAction } from "../components/ConfirmAction.js";
import { ErrorGroups } from "../components/ErrorGroups.js";
import { Facts } from "../components/Facts.js";
import { JobValuesTable } from "../components/JobValuesTable.js";
import { LiveBadge } from "../components/LiveBadge.js";
import { Pager } from "../components/Pager.js";
import { Problem } from "../components/Problem.js";
import { ProgressBar } from "../components/ProgressBar.js";
import { StatusBadge } from "../components/StatusBadge.js";
import { useTaskPage } from "../data/use-task-page.js";
import { elapsed, formatCount, formatDuration, formatTime, progressOf, shorten } from "../format.js";
import { href, type JobsView } from "../route.js";

const JOB_FILTERS: Array<{ label: string; states: string }> = [
  { label: "all", states: "" },
  { label: "queued", states: "defined,activated" },
  { label: "running", states: "sent,starting,running" },
  { label: "finished", states: "finished" },
  { label: "failed", states: "failed" },
  { label: "cancelled", states: "cancelled,closed" },
];

function JobsTable({ jobs, now }: { jobs: JobPage["jobs"]; now: number }) {
  return (
    <div class="table-wrap">
      <table class="grid" data-testid="jobs">
        <thead>
          <tr>
            <th class="num">Index</th>
            <th class="num">Job</th>
            <th>Key</th>
            <th>State</th>
            <th class="num">Attempts</th>
            <th>Pilot</th>
            <th>Started</th>
            <th>Duration</th>
            <th>Error</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((j) => (
            <tr key={j.id} data-testid="job-row" data-id={j.id}>
              <td class="num">{j.index}</td>
              <td class="num">
                <a href={href.job(j.id)}>{j.id}</a>
              </td>
              <td>
                <code title={j.key}>{shorten(j.key)}</code>
              </td>
              <td>
                <StatusBadge entity="job" status={j.state} />
              </td>
              <td class="num">{j.attempts}</td>
              <td>{j.pilot ?? "—"}</td>
              <td class="time">{formatTime(j.startedAt)}</td>
              <td class="time">{formatDuration(elapsed(j.startedAt, j.endedAt, now))}</td>
              <td class="message">{j.error ? `${j.error.code}: ${j.error.message}` : ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * One task: its counts, jobs running over time, errors, its jobs' arguments and results as a table, and its
 * jobs a page at a time; live. The state filter, the chosen columns and the order are kept in the address.
 */
export function TaskPage({ id, initialJobs }: { id: number; initialJobs: JobsView }) {
  const { summary, jobs, values, view, setView, pages, live, kill, retry } = useTaskPage(id, initialJobs);
  const states = view.states;
  const now = Date.now();

  if (summary.data === undefined) {
    return (
      <section class="page">
        <header class="page-head">
          <h1>Task {id}</h1>
        </header>
        {summary.error ? <Problem error={summary.error} /> : <p class="quiet">Loading…</p>}
      </section>
    );
  }
  const { task: t, timeline, errors, ended, open } = summary.data;
  return (
    <section class="page">
      <nav class="crumbs">
        <a href={href.workflows()}>Workflows</a> / <a href={href.workflow(t.workflowId)}>workflow {t.workflowId}</a> / task {t.id}
      </nav>
      <header class="page-head">
        <h1>
          {t.work}
          {t.seq !== null && ` #${t.seq}`} <span class="id">task {t.id}</span>
        </h1>
        <StatusBadge entity="task" status={t.status} />
        <LiveBadge state={live} />
        <div class="actions">
          <ConfirmAction
            label="Kill"
            danger
            question={`Kill task ${t.id}: cancel its queued jobs and stop its running ones?`}
            disabled={ended}
            testId="kill-task"
            run={kill}
          />
          <ConfirmAction
            label="Retry"
            question={`Send the failed and cancelled jobs of task ${t.id} back to the queue?`}
            disabled={!ended}
            testId="retry-task"
            run={retry}
          />
        </div>
      </header>
      {summary.error && <Problem error={summary.error} />}
      {t.pendingReason && (
        <p class="note" data-testid="pending-reason">
          Waiting: {t.pendingReason}
        </p>
      )}
      <Facts
        items={[
          ["Kind", t.kind],
          ["Queue", t.queue],
          ["Cores", `${formatCount(t.cores)} per job`],
          ["Memory", t.memoryMb > 0 ? `${formatCount(t.memoryMb)} MiB per job` : "not stated"],
          ["Walltime", t.walltimeS > 0 ? `${formatDuration(t.walltimeS * 1000)} per job` : "not stated"],
          ["Max attempts", formatCount(t.maxAttempts)],
          ["Priority", String(t.priority)],
          ["Objective", t.objective ? `${t.objective.name} (${t.objective.direction})` : "not declared"],
          ["Jobs", formatCount(t.nJobs)],
          ["Finished", formatCount(t.nFinished)],
          ["Failed", formatCount(t.nFailed)],
          ["Cancelled", formatCount(t.nCancelled)],
          ["Not ended", formatCount(open)],
          ["Done", `${formatCount(t.nJobs - open)} of ${formatCount(t.nJobs)} jobs in a final state`],
          ["Progress", <ProgressBar percent={progressOf(t)} />],
          ["Created", formatTime(t.createdAt)],
          ["Ended", formatTime(t.endedAt)],
          ["Duration", formatDuration(elapsed(t.createdAt, t.endedAt, now))],
        ]}
      />
      <section class="panel">
        <h2>Jobs over time</h2>
        <TimelineChart timeline={timeline} />
      </section>
      <section class="panel">
        <h2>Errors</h2>
        <ErrorGroups groups={errors} />
      </section>
      <section class="panel">
        <header class="panel-head">
          <h2>Arguments and results</h2>
          <label>
            State
            <select value={states} onChange={(e) => setView({ ...view, states: e.currentTarget.value })} data-testid="job-state-filter">
              {JOB_FILTERS.map((f) => (
                <option key={f.label} value={f.states}>
                  {f.label}
                </option>
              ))}
            </select>
          </label>
        </header>
        {values.error && <Problem error={values.error} />}
        {values.data === undefined ? (
          values.loading && <p class="quiet">Loading…</p>
        ) : values.data.rows.length === 0 ? (
          <p class="quiet">No jobs {states ? "in this state" : "here"}.</p>
        ) : (
          <JobValuesTable taskId={t.id} rows={values.data.rows} more={values.data.more} objectiveName={t.objective?.name} view={view} setView={setView} />
        )}
      </section>
      <section class="panel">
        <header class="panel-head">
          <h2>Jobs</h2>
          <span class="quiet">{states ? `in the state filter above (${states})` : "all states"}</span>
        </header>
        {jobs.error && <Problem error={jobs.error} />}
        {jobs.data === undefined ? (
          jobs.loading && <p class="quiet">Loading…</p>
        ) : jobs.data.jobs.length === 0 ? (
          <p class="quiet" data-testid="no-jobs">
            No jobs {states ? "in this state" : "here"}.
          </p>
        ) : (
          <JobsTable jobs={jobs.data.jobs} now={now} />
        )}
        <Pager page={pages.page} next={jobs.data?.next} onNewer={pages.newer} onOlder={pages.older} />
      </section>
    </section>
  );
}
