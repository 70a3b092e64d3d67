import type { ErrorGroup } from "../../../src/api/monitoring.js";
import { formatCount } from "../format.js";
import { href } from "../route.js";

/** Failed and cancelled jobs grouped by error code and message, largest group first, with jobs to look at. */
export function ErrorGroups({ groups }: { groups: readonly ErrorGroup[] }) {
  if (groups.length === 0) return <p class="quiet" data-testid="no-errors">No failed or cancelled jobs.</p>;
  return (
    <table class="grid errors">
      <thead>
        <tr>
          <th class="num">Jobs</th>
          <th>Code</th>
          <th>Message</th>
          <th>Examples</th>
        </tr>
      </thead>
      <tbody>
        {groups.map((g) => (
          <tr key={`${g.code}\n${g.message}`} data-testid="error-group">
            <td class="num">{formatCount(g.count)}</td>
            <td>
              <code>{g.code}</code>
            </td>
            <td class="message" data-testid="error-message">
              {g.message}
            </td>
            <td class="examples">
              {g.exampleJobs.map((j) => (
                <a key={j.id} href={href.job(j.id)} data-testid="example-job">
                  job {j.id}
                </a>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
