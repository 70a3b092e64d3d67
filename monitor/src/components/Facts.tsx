import type { ComponentChildren } from "preact";

/** Label–value pairs in a compact grid; pairs whose value is null or undefined are left out. */
export function Facts({ items }: { items: Array<[string, ComponentChildren]> }) {
  return (
    <dl class="facts">
      {items
        .filter(([, value]) => value !== null && value !== undefined)
        .map(([label, value]) => (
          <div key={label} data-testid={`fact-${label.toLowerCase().replace(/\W+/g, "-")}`}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
    </dl>
  );
}
