import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, startCluster, type Cluster } from "./helpers/cluster.js";

describe("the database a server starts on", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ pilots: 0 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("refuses a schema newer than it knows, with a clear message", async () => {
    await cluster.stopServer("SIGTERM");
    const insert = "INSERT INTO kysely_migration (name, timestamp) VALUES ('9999-from-the-future', '2099-01-01T00:00:00Z')";
    if (cluster.databaseUrl) {
      execFileSync("psql", [cluster.databaseUrl, "-qc", insert], { stdio: "pipe" });
    } else {
      const db = new Database(join(cluster.dataDir, "pando.db"));
      db.exec(insert);
      db.close();
    }
    await expect(cluster.startServer()).rejects.toThrow(
      /the database has schema migrations this version of Pando does not know \(9999-from-the-future\): it was written by a newer Pando/,
    );
  });

  describe("bad connection strings", () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "pando-db-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const server = (db: string) =>
      spawnSync(process.execPath, [CLI, "server", "--port", "0", "--data-dir", dir, "--db", db], { encoding: "utf8", timeout: 30_000 });

    it("says what is wrong with a malformed URL or another kind of database", () => {
      const malformed = server("not a url");
      expect(malformed.status).toBe(2);
      expect(malformed.stderr).toContain("the database URL is malformed; expected postgres://user[:password]@host[:port]/database");
      const mysql = server("mysql://root@127.0.0.1/pando");
      expect(mysql.status).toBe(2);
      expect(mysql.stderr).toContain("the database URL must start with postgres://, not mysql://");
    });

    it("gives up on an unreachable database with a start-up error, not a hang, and never prints the password", () => {
      const r = server("postgres://pando:s3cret@127.0.0.1:1/pando");
      expect(r.status).toBe(2);
      expect(r.stderr).toContain("cannot connect to PostgreSQL at postgres://pando@127.0.0.1:1/pando: ");
      expect(r.stderr).not.toContain("s3cret");
    });
  });
});
