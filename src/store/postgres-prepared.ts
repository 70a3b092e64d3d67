// Named (prepared) statements on PostgreSQL: a statement that runs again on the same connection is parsed and
// planned once there, not on every call. The store's statements have a fixed text (values are parameters),
// so each connection prepares at most a bounded number of them; texts past that bound, and those that
// select every column of a table (`*`, whose result would change with the schema), stay unnamed.
import { createHash } from "node:crypto";

/** Statements one connection keeps prepared, at most. */
export const MAX_PREPARED_PER_CONNECTION = 200;
/** Names computed and remembered, by statement text, at most. */
const MAX_NAMES = 2000;
const SELECTS_ALL = /select \*|\.\*/i;

const names = new Map<string, string | null>();

function nameOf(text: string): string | null {
  let name = names.get(text);
  if (name === undefined) {
    name = SELECTS_ALL.test(text) ? null : `pando_${createHash("sha1").update(text).digest("hex").slice(0, 20)}`;
    if (names.size >= MAX_NAMES) names.clear();
    names.set(text, name);
  }
  return name;
}

/** The statements each connection has prepared. */
const preparedOn = new WeakMap<object, Set<string>>();

/** How to send `text` on `connection`: by name when it is prepared there or may be, else unnamed. */
export function statementFor(
  connection: object,
  text: string,
  values: unknown[],
): { text: string; values: unknown[]; name?: string } {
  const name = nameOf(text);
  if (name === null) return { text, values };
  let prepared = preparedOn.get(connection);
  if (!prepared) preparedOn.set(connection, (prepared = new Set()));
  if (!prepared.has(name)) {
    if (prepared.size >= MAX_PREPARED_PER_CONNECTION) return { text, values };
    prepared.add(name);
  }
  return { text, values, name };
}
