import type { TaskView } from "../../../src/api/tasks.js";
import { formatDuration, formatTime } from "../format.js";
import { assignLanes } from "../lanes.js";
import { href } from "../route.js";
import { formatOffset, linearScale, timeTicks } from "../scale.js";
import { statusTone } from "../status.js";
import { MARGIN, plotRight, WIDTH } from "./geometry.js";

const CHAR_WIDTH = 6.6;

function taskLabel(t: TaskView): string {
  return t.seq === null ? `${t.work} (task ${t.id})` : `${t.work} #${t.seq}`;
}

/**
 * How the tasks follow each other: one bar per task from its creation to its end (or now), tasks that ran
 * one after another in the same lane, those that overlapped (a fan-out) in parallel lanes.
 */
export function TaskLanes({ tasks, now }: { tasks: readonly TaskView[]; now: number }) {
  if (tasks.length === 0) return <p class="quiet">No tasks yet.</p>;
  const spans = tasks.map((task) => ({ task, start: task.createdAt, end: task.endedAt ?? Math.max(now, task.createdAt) }));
  const { lanes, placed } = assignLanes(spans);
  const start = Math.min(...spans.map((s) => s.start));
  const end = Math.max(start + 1, ...spans.map((s) => s.end));
  const laneHeight = lanes > 16 ? 12 : 22;
  const height = MARGIN.top + lanes * (laneHeight + 4) + MARGIN.bottom;
  const x = linearScale([start, end], [MARGIN.left, plotRight]);
  const axisY = height - MARGIN.bottom + 4;
  return (
    <svg class="chart lanes" viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label="tasks over time" data-testid="task-lanes">
      {timeTicks(end - start).map((offset) => (
        <g key={offset} class="tick">
          <line x1={x(start + offset)} x2={x(start + offset)} y1={MARGIN.top} y2={axisY} />
          <text x={x(start + offset)} y={axisY + 14} text-anchor="middle">
            {formatOffset(offset)}
          </text>
        </g>
      ))}
      {placed.map(({ item: { task, start: s, end: e }, lane }) => {
        const left = x(s);
        const width = Math.max(2, x(e) - left);
        const top = MARGIN.top + lane * (laneHeight + 4);
        const label = taskLabel(task);
        const fits = laneHeight >= 20 && width > label.length * CHAR_WIDTH + 10;
        return (
          <a key={task.id} href={href.task(task.id)} data-testid="task-bar">
            <title>{`${label} · task ${task.id} · ${task.status} · ${task.nJobs} jobs · ${formatTime(task.createdAt)} for ${formatDuration(e - s)}`}</title>
            <rect class={`bar tone-${statusTone("task", task.status)}`} x={left} y={top} width={width} height={laneHeight} rx={3} />
            {fits && (
              <text class="bar-label" x={left + 6} y={top + laneHeight / 2 + 4}>
                {label}
              </text>
            )}
          </a>
        );
      })}
    </svg>
  );
}
