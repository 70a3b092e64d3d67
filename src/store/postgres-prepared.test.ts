import { describe, expect, it } from "vitest";
import { MAX_PREPARED_PER_CONNECTION, statementFor } from "./postgres-prepared.js";

describe("statementFor", () => {
  it("names a statement by its text, the same on every connection", () => {
    const a = statementFor({}, "SELECT id FROM jobs WHERE task_id = $1", [1]);
    const b = statementFor({}, "SELECT id FROM jobs WHERE task_id = $1", [2]);
    expect(a.name).toMatch(/^pando_[0-9a-f]{20}$/);
    expect(b).toEqual({ text: a.text, values: [2], name: a.name });
    expect(statementFor({}, "SELECT id FROM jobs WHERE pilot_id = $1", [1]).name).not.toBe(a.name);
  });

  it("leaves unnamed what selects every column, whose result changes with the schema", () => {
    expect(statementFor({}, 'select * from "workflows" where "id" = $1', [1]).name).toBeUndefined();
    expect(statementFor({}, 'select "jobs".*, "tasks"."workflow_id" from "jobs"', []).name).toBeUndefined();
  });

  it("prepares a bounded number of statements per connection; those already prepared keep their name", () => {
    const connection = {};
    const first = statementFor(connection, "SELECT 0", []);
    for (let i = 1; i < MAX_PREPARED_PER_CONNECTION; i++) expect(statementFor(connection, `SELECT ${i}`, []).name).toBeDefined();
    expect(statementFor(connection, "SELECT -1", []).name).toBeUndefined();
    expect(statementFor(connection, "SELECT 0", []).name).toBe(first.name);
    expect(statementFor({}, "SELECT -1", []).name).toBeDefined();
  });
});
