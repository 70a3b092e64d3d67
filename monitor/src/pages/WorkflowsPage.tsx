import type { WorkflowSummary } from "../../../src/api/monitoring.js";
import { WORKFLOW_STATUSES } from "../../../src/core/states.js";
import { LiveBadge } from "../components/LiveBadge.js";
import { Pager } from "../components/Pager.js";
import { Problem } from "../components/Problem.js";
import { ProgressBar } from "../components/ProgressBar.js";
import { StatusBadge } from "../components/StatusBadge.js";
import { useWorkflowsPage } from "../data/use-workflows-page.js";
import { formatCount, formatTime } from "../format.js";
import { href } from "../route.js";
import { statusTone } from "../status.js";

function TaskCounts({ tasks }: { tasks: WorkflowSummary["tasks"] }) {
  const entries = Object.entries(tasks).filter(([, n]) => n > 0);
  if (entries.length === 0) return <span class="quiet">—</span>;
  return (
    <span class="counts">
      {entries.map(([status, n]) => (
        <span key={status} class={`count tone-${statusTone("task", status)}`}>
          {n} {status}
        </span>
      ))}
    </span>
  );
}

/** Every workflow the user may see, newest first (the paper's Figure 3a), following changes live. */
export function WorkflowsPage() {
  const { typed, setStatus, setName, setUser, filtered, pages, listing, live } = useWorkflowsPage();
  const { status, name, user } = typed;

  return (
    <section class="page">
      <header class="page-head">
        <h1>Workflows</h1>
        <LiveBadge state={live} />
      </header>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value)} data-testid="filter-status">
            <option value="">any</option>
            {WORKFLOW_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Name
          <input type="search" value={name} placeholder="e.g. hpo*" onInput={(e) => setName(e.currentTarget.value)} data-testid="filter-name" />
        </label>
        <label>
          User
          <input
            type="search"
            value={user}
            placeholder="e.g. alice"
            title="administrators see anyone's workflows; others only their own"
            onInput={(e) => setUser(e.currentTarget.value)}
            data-testid="filter-user"
          />
        </label>
      </form>
      {listing.error && <Problem error={listing.error} />}
      {listing.data === undefined ? (
        listing.loading && <p class="quiet">Loading…</p>
      ) : listing.data.workflows.length === 0 ? (
        <p class="quiet" data-testid="empty">
          No workflows{pages.page > 1 ? " on this page" : filtered ? " match these filters" : " yet"}.
        </p>
      ) : (
        <div class="table-wrap">
          <table class="grid" data-testid="workflows">
            <thead>
              <tr>
                <th class="num">ID</th>
                <th>Name</th>
                <th>User</th>
                <th>Status</th>
                <th>Tasks</th>
                <th class="num">Jobs</th>
                <th class="num">Finished</th>
                <th class="num">Failed</th>
                <th>Progress</th>
                <th>Created</th>
                <th>Ended</th>
              </tr>
            </thead>
            <tbody>
              {listing.data.workflows.map((w) => (
                <tr key={w.id} data-testid="workflow-row" data-id={w.id}>
                  <td class="num">
                    <a href={href.workflow(w.id)}>{w.id}</a>
                  </td>
                  <td>
                    <a href={href.workflow(w.id)} data-testid="workflow-name">
                      {w.name}
                    </a>
                    {w.mode === "remote" && <span class="tag">remote</span>}
                  </td>
                  <td>{w.user}</td>
                  <td>
                    <StatusBadge entity="workflow" status={w.status} />
                  </td>
                  <td>
                    <TaskCounts tasks={w.tasks} />
                  </td>
                  <td class="num">{formatCount(w.nJobs)}</td>
                  <td class="num">{formatCount(w.nFinished)}</td>
                  <td class={`num${w.nFailed > 0 ? " failed" : ""}`}>{formatCount(w.nFailed)}</td>
                  <td>
                    <ProgressBar percent={w.progress} />
                  </td>
                  <td class="time">{formatTime(w.createdAt)}</td>
                  <td class="time">{formatTime(w.endedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={pages.page} next={listing.data?.next} onNewer={pages.newer} onOlder={pages.older} />
    </section>
  );
}
