import { useState } from "preact/hooks";
import type { QueueView, WorkerView } from "../../../src/api/queues.js";
import { PILOT_STATUSES } from "../../../src/core/states.js";
import { LiveBadge } from "../components/LiveBadge.js";
import { Pager } from "../components/Pager.js";
import { Problem } from "../components/Problem.js";
import { StatusBadge } from "../components/StatusBadge.js";
import { useQueuesPage } from "../data/use-queues-page.js";
import { formatCount, formatDuration, formatTime } from "../format.js";

/** The server lists the latest 500 workers; the table shows this many unless asked for all. */
const WORKERS_SHOWN = 50;

function rangeText(range: { min: number; max: number }, unit: (n: number) => string): string {
  if (range.min === 0 && range.max === 0) return "any";
  return `${range.min ? unit(range.min) : "0"} – ${range.max ? unit(range.max) : "∞"}`;
}

/** A site's queue: the site, its state and its agent's last heartbeat; "—" for the server's own queues. */
function SiteCell({ q }: { q: QueueView }) {
  if (q.site === null) return <td>—</td>;
  return (
    <td data-testid="queue-site" data-state={q.siteState ?? ""}>
      {q.site} ({q.siteState ?? "unknown"})
      <div class="note">agent heard {formatTime(q.siteHeartbeatAt)}</div>
    </td>
  );
}

function QueuesTable({ queues }: { queues: readonly QueueView[] }) {
  if (queues.length === 0) return <p class="quiet">No queues.</p>;
  return (
    <div class="table-wrap">
      <table class="grid" data-testid="queues">
        <thead>
          <tr>
            <th>Queue</th>
            <th>Backend</th>
            <th>Status</th>
            <th class="num">Cores</th>
            <th>Memory</th>
            <th>Walltime</th>
            <th class="num">Pilots</th>
            <th>Starting</th>
            <th class="num">Max pilots</th>
            <th class="num">Slots / pilot</th>
            <th class="num">Queued</th>
            <th class="num">Running</th>
            <th class="num">Workers</th>
            <th>Site</th>
          </tr>
        </thead>
        <tbody>
          {queues.map((q) => (
            <tr key={q.name} data-testid="queue-row" data-name={q.name}>
              <td>{q.name}</td>
              <td>{q.backend}</td>
              <td>
                <StatusBadge entity="queue" status={q.status} />
              </td>
              <td class="num">{q.cores}</td>
              <td>{rangeText(q.memoryMb, (n) => `${formatCount(n)} MiB`)}</td>
              <td>{rangeText(q.walltimeMs, (n) => formatDuration(n))}</td>
              <td class="num">{q.pilots}</td>
              <td data-testid="queue-starting">
                {q.startingPilots === 0 ? "—" : q.startingPilots}
                {q.pendingPilots > 0 && (
                  <div class="note" data-testid="queue-pending">
                    {q.pendingPilots} pending in {q.backend}: {q.pendingReason}
                  </div>
                )}
              </td>
              <td class="num">{q.maxPilots === 0 ? "by hand" : q.maxPilots}</td>
              <td class="num">{q.slotsPerPilot}</td>
              <td class="num">{formatCount(q.queued)}</td>
              <td class="num">{formatCount(q.running)}</td>
              <td class="num">{q.workers}</td>
              <SiteCell q={q} />
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function WorkersTable({ workers }: { workers: readonly WorkerView[] }) {
  const [all, setAll] = useState(false);
  if (workers.length === 0) return <p class="quiet">The server has started no pilots (queues without maxPilots get theirs by hand).</p>;
  const shown = all ? workers : workers.slice(0, WORKERS_SHOWN);
  return (
    <div class="table-wrap">
      <table class="grid" data-testid="workers">
        <thead>
          <tr>
            <th class="num">ID</th>
            <th>Queue</th>
            <th>Site</th>
            <th>Backend</th>
            <th>Batch id</th>
            <th>Status</th>
            <th>Batch job</th>
            <th>Reason ended</th>
            <th class="num">Pilot</th>
            <th>Created</th>
            <th>Ended</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((w) => (
            <tr key={w.id} data-testid="worker-row">
              <td class="num">{w.id}</td>
              <td>{w.queue}</td>
              <td>{w.site ?? "—"}</td>
              <td>{w.backend}</td>
              <td>{w.batchId ?? "—"}</td>
              <td>
                <StatusBadge entity="worker" status={w.status} />
              </td>
              <td class="message" data-testid="worker-batch">
                {w.batchState === "pending" ? `pending: ${w.pendingReason ?? "no reason given"}` : (w.batchState ?? "")}
              </td>
              <td class="message">{w.reason ?? ""}</td>
              <td class="num">{w.pilotId ?? "—"}</td>
              <td class="time">{formatTime(w.createdAt)}</td>
              <td class="time">{formatTime(w.endedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!all && workers.length > WORKERS_SHOWN && (
        <button type="button" onClick={() => setAll(true)}>
          Show all {workers.length}
        </button>
      )}
    </div>
  );
}

/** Queues with their load, the pilots the server started, and every pilot that registered; live. */
export function QueuesPage() {
  const { resources, pilotStatus, setPilotStatus, pages, pilots, live } = useQueuesPage();

  return (
    <section class="page">
      <header class="page-head">
        <h1>Queues and pilots</h1>
        <LiveBadge state={live} />
      </header>
      {resources.error && <Problem error={resources.error} />}
      <section class="panel">
        <h2>Queues</h2>
        {resources.data ? <QueuesTable queues={resources.data.queues} /> : resources.loading && <p class="quiet">Loading…</p>}
      </section>
      <section class="panel">
        <header class="panel-head">
          <h2>Pilots</h2>
          <label>
            Status
            <select value={pilotStatus} onChange={(e) => setPilotStatus(e.currentTarget.value)} data-testid="pilot-status-filter">
              <option value="">any</option>
              {PILOT_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
        </header>
        {pilots.error && <Problem error={pilots.error} />}
        {pilots.data === undefined ? (
          pilots.loading && <p class="quiet">Loading…</p>
        ) : pilots.data.pilots.length === 0 ? (
          <p class="quiet">No pilots{pilotStatus ? ` ${pilotStatus}` : ""}.</p>
        ) : (
          <div class="table-wrap">
            <table class="grid" data-testid="pilots">
              <thead>
                <tr>
                  <th class="num">ID</th>
                  <th>Name</th>
                  <th>Queue</th>
                  <th>Host</th>
                  <th class="num">PID</th>
                  <th>Status</th>
                  <th class="num">Slots</th>
                  <th class="num">Running</th>
                  <th>Version</th>
                  <th>Started</th>
                  <th>Last heartbeat</th>
                  <th>Ended</th>
                </tr>
              </thead>
              <tbody>
                {pilots.data.pilots.map((p) => (
                  <tr key={p.id} data-testid="pilot-row">
                    <td class="num">{p.id}</td>
                    <td>{p.name}</td>
                    <td>{p.queue}</td>
                    <td>{p.host}</td>
                    <td class="num">{p.pid}</td>
                    <td>
                      <StatusBadge entity="pilot" status={p.status} />
                    </td>
                    <td class="num">{p.slots}</td>
                    <td class="num">{p.running}</td>
                    <td>{p.version}</td>
                    <td class="time">{formatTime(p.createdAt)}</td>
                    <td class="time">{formatTime(p.heartbeatAt)}</td>
                    <td class="time">{formatTime(p.endedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager page={pages.page} next={pilots.data?.next} onNewer={pages.newer} onOlder={pages.older} />
      </section>
      <section class="panel">
        <h2>Pilots started by the server and by site agents</h2>
        {resources.data && <WorkersTable workers={resources.data.workers} />}
      </section>
    </section>
  );
}
