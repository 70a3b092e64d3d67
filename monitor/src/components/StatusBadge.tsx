import { statusTone, type Entity } from "../status.js";

export function StatusBadge({ entity, status }: { entity: Entity; status: string }) {
  return (
    <span class={`status tone-${statusTone(entity, status)}`} data-testid="status">
      {status}
    </span>
  );
}
