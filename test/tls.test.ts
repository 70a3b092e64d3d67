// HTTPS between every client and the server: a driver and the pilots the server starts work over it with the
// test CA; a client that cannot trust the certificate (unknown CA, expired, another host's name) stops with one
// line naming the host and the reason; a token never goes over plain HTTP to another machine unless allowed;
// a server listening on every interface must be told the URL clients use.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT, runDriver, startCluster, type Cluster } from "./helpers/cluster.js";
import { until } from "./helpers/until.js";

const FIXTURE = "test/fixtures/core.ts";
/** A stack trace's frame line: never shown to a user whose connection was refused. */
const STACK_FRAME = /^\s+at /m;

/** A throwaway CA with a certificate for 127.0.0.1, an expired one, and an unrelated CA (scripts/services/ca.sh). */
function makeCertificates(dir: string) {
  const ca = (...args: string[]) => execFileSync("bash", [join(ROOT, "scripts/services/ca.sh"), ...args], { stdio: "pipe" });
  ca("init", dir);
  ca("host", dir, "server", "127.0.0.1");
  ca("expired", dir, "expired", "127.0.0.1");
  ca("other", dir);
  return {
    ca: join(dir, "ca.pem"),
    otherCa: join(dir, "other-ca.pem"),
    cert: join(dir, "server.pem"),
    key: join(dir, "server.key"),
    expiredCert: join(dir, "expired.pem"),
    expiredKey: join(dir, "expired.key"),
  };
}

/** Runs the CLI with PANDO_CA and PANDO_INSECURE_HTTP cleared unless given. */
function pando(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, PANDO_CA: "", PANDO_INSECURE_HTTP: "", PANDO_SERVER: "", PANDO_LOG_LEVEL: "warn", ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The stderr of a refused client: exactly one line, `pando: …`, no stack. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split("\n");
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(STACK_FRAME);
  return lines[0]!;
}

describe("HTTPS between clients and the server", () => {
  let dir: string;
  let certs: ReturnType<typeof makeCertificates>;
  let cluster: Cluster;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "pando-tls-"));
    certs = makeCertificates(dir);
    // No pilot of the test's: the server starts them, and hands them the CA it was given.
    cluster = await startCluster({
      pilots: 0,
      queues: [{ name: "local", maxPilots: 2, slotsPerPilot: 1, pilotIdle: "30s" }],
      serverArgs: ["--tls-cert", certs.cert, "--tls-key", certs.key, "--ca", certs.ca],
      env: { PANDO_CA: "", PANDO_INSECURE_HTTP: "" },
    });
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves HTTPS, says so in its server info, and a driver with --ca runs a workflow on the pilots it started", async () => {
    expect(cluster.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(JSON.parse(readFileSync(join(cluster.dataDir, "server.json"), "utf8")).url).toBe(cluster.url);
    const r = await runDriver(`${FIXTURE}#map50`, [], { url: cluster.url, token: cluster.credentials.userToken, extra: ["--ca", certs.ca] });
    expect(r.code, r.stderr).toBe(0);
    expect(r.value).toEqual(Array.from({ length: 50 }, (_, i) => i * i));
    // The CLI finds the server of a data directory and trusts it through PANDO_CA as well as --ca.
    const ls = pando(["ls", "--data-dir", cluster.dataDir, "--json"], { PANDO_CA: certs.ca });
    expect(ls.status, ls.stderr).toBe(0);
    expect(JSON.parse(ls.stdout).workflows.map((w: { id: number }) => w.id)).toContain(r.workflowId);
  });

  it("runs a remote driver on a pilot over HTTPS, the driver trusting the server through the CA it was given", async () => {
    const r = await runDriver(`${FIXTURE}#map50`, [], { url: cluster.url, token: cluster.credentials.userToken, extra: ["--remote", "--ca", certs.ca] });
    expect(r.code, r.stderr).toBe(0);
    expect(r.value).toEqual(Array.from({ length: 50 }, (_, i) => i * i));
  });

  it("refuses a server whose CA it does not know: one line naming the host and the reason, for ls, run and pilot", async () => {
    const host = new URL(cluster.url).host;
    const unknownCa = new RegExp(
      `cannot trust the Pando server at ${host.replace(/\./g, "\\.")}: its certificate is signed by an authority this client does not trust ` +
        `\\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\\); pass the certificate authority that signed it with --ca FILE \\(or PANDO_CA=FILE\\)`,
    );
    const token = cluster.credentials.userToken;
    // The system's authorities, and another CA.
    for (const extra of [[], ["--ca", certs.otherCa]]) {
      const ls = pando(["ls", "--server", cluster.url, "--token", token, ...extra]);
      expect(ls.status).toBe(1);
      expect(oneLine(ls.stderr)).toMatch(new RegExp(`^pando: ${unknownCa.source}$`));
    }
    const run = await runDriver(`${FIXTURE}#single`, ["3"], { url: cluster.url, token, extra: ["--ca", certs.otherCa] });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(unknownCa);
    expect(run.stderr).not.toMatch(STACK_FRAME);
    const pilot = pando(["pilot", "--server", cluster.url, "--cache-dir", join(dir, "cache")], {
      PANDO_TOKEN: cluster.credentials.pilotToken,
      PANDO_CA: certs.otherCa,
    });
    expect(pilot.status).not.toBe(0);
    expect(oneLine(pilot.stderr)).toMatch(unknownCa);
  });

  it("serves the embedded server of `pando run` over HTTPS too, its local pilots trusting its --ca", async () => {
    const r = await runDriver(`${FIXTURE}#single`, ["5"], {
      dataDir: join(dir, "embedded"),
      extra: ["--tls-cert", certs.cert, "--tls-key", certs.key, "--ca", certs.ca, "--pilots", "1"],
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.value).toBe(25);
    expect(r.stderr).toMatch(/workflow \d+ \(single\) started on https:\/\/127\.0\.0\.1:\d+/);
  });

  it("says to use https:// when a client speaks plain HTTP to its port", () => {
    const plain = cluster.url.replace(/^https:/, "http:");
    const ls = pando(["ls", "--server", plain, "--token", cluster.credentials.userToken]);
    expect(ls.status).toBe(1);
    expect(oneLine(ls.stderr)).toMatch(new RegExp(`; if that server serves HTTPS, use ${cluster.url.replace(/\./g, "\\.")}$`));
  });

  it("refuses a certificate for another host name", () => {
    const url = cluster.url.replace("127.0.0.1", "localhost");
    const ls = pando(["ls", "--server", url, "--token", cluster.credentials.userToken, "--ca", certs.ca]);
    expect(ls.status).toBe(1);
    expect(oneLine(ls.stderr)).toMatch(/^pando: cannot trust the Pando server at localhost:\d+: its certificate is for another host name .*\(ERR_TLS_CERT_ALTNAME_INVALID\)/);
  });

  it("never sends a token over plain HTTP to another machine: ls, run and pilot refuse before connecting", async () => {
    // 198.18.0.1 is of the benchmarking range, on no network of this machine: the refusal comes before any connection.
    const remote = "http://198.18.0.1:9";
    const refused = /refusing to send the token over plain HTTP to 198\.18\.0\.1 \(http:\/\/198\.18\.0\.1:9\): .*--insecure-http \(PANDO_INSECURE_HTTP=1\)/;
    const ls = pando(["ls", "--server", remote, "--token", "t"]);
    expect(ls.status).toBe(1);
    expect(oneLine(ls.stderr)).toMatch(refused);
    const run = await runDriver(`${FIXTURE}#single`, ["3"], { url: remote, token: "t" });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(refused);
    expect(run.stderr).not.toMatch(STACK_FRAME);
    const pilot = pando(["pilot", "--server", remote, "--cache-dir", join(dir, "cache")], { PANDO_TOKEN: "t" });
    expect(pilot.status).not.toBe(0);
    expect(oneLine(pilot.stderr)).toMatch(refused);
  });
});

describe("a server with an expired certificate", () => {
  let dir: string;
  let cluster: Cluster;
  let certs: ReturnType<typeof makeCertificates>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "pando-tls-expired-"));
    certs = makeCertificates(dir);
    cluster = await startCluster({ pilots: 0, serverArgs: ["--tls-cert", certs.expiredCert, "--tls-key", certs.expiredKey] });
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("warns at start-up, and clients refuse it saying it expired", () => {
    expect(cluster.serverOutput()).toMatch(/the TLS certificate in .*expired\.pem expired on .*: clients will refuse it/);
    const ls = pando(["ls", "--server", cluster.url, "--token", cluster.credentials.userToken, "--ca", certs.ca]);
    expect(ls.status).toBe(1);
    expect(oneLine(ls.stderr)).toMatch(/^pando: cannot trust the Pando server at 127\.0\.0\.1:\d+: its certificate has expired \(CERT_HAS_EXPIRED\)/);
  });
});

describe("what a server is told to listen with", () => {
  let dir: string;
  let certs: ReturnType<typeof makeCertificates>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "pando-tls-start-"));
    certs = makeCertificates(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const server = (args: string[]) => pando(["server", "--port", "0", "--data-dir", join(dir, "data"), ...args]);

  it("refuses every interface without --public-url, saying what to pass", () => {
    for (const host of ["0.0.0.0", "::"]) {
      const r = server(["--host", host, "--tls-cert", certs.cert, "--tls-key", certs.key]);
      expect(r.status).toBe(2);
      expect(oneLine(r.stderr)).toBe(
        `pando: listening on ${host} needs --public-url (PANDO_PUBLIC_URL): ${host} is no address pilots, drivers or the monitor can reach; ` +
          "pass the URL they should use, e.g. --public-url https://server.example.org:8720",
      );
    }
  });

  it("refuses a key that is not the certificate's, or a file it cannot read, naming the file", () => {
    const mismatch = server(["--tls-cert", certs.cert, "--tls-key", join(dir, "other-ca.key")]);
    expect(mismatch.status).toBe(2);
    expect(oneLine(mismatch.stderr)).toBe(
      `pando: the TLS key file ${join(dir, "other-ca.key")} is not the key of the certificate in ${certs.cert}; give the key the certificate was made for`,
    );
    const missing = server(["--tls-cert", join(dir, "missing.pem"), "--tls-key", certs.key]);
    expect(missing.status).toBe(2);
    expect(oneLine(missing.stderr)).toMatch(new RegExp(`^pando: cannot read the TLS certificate file ${join(dir, "missing.pem")}: ENOENT`));
    const notPem = server(["--tls-cert", certs.key, "--tls-key", certs.key]);
    expect(oneLine(notPem.stderr)).toMatch(/holds no PEM certificate/);
    const half = pando(["server", "--port", "0", "--data-dir", join(dir, "data")], { PANDO_TLS_CERT: certs.cert });
    expect(oneLine(half.stderr)).toMatch(/HTTPS needs both --tls-cert and --tls-key .*only the certificate was given/);
  });

  it("tells clients its --public-url: in its server info, and in the monitor's link", async () => {
    const data = join(dir, "public");
    const proc = spawn(
      process.execPath,
      [CLI, "server", "--port", "0", "--data-dir", data, "--tls-cert", certs.cert, "--tls-key", certs.key, "--public-url", "https://pando.example.org:8720"],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PANDO_LOG_LEVEL: "warn" } },
    );
    let out = "";
    proc.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
    try {
      await until("the server to listen", () => (out.includes("credentials:") ? true : undefined), 20_000);
      expect(out).toMatch(/^pando server listening on 127\.0\.0\.1:\d+ \(https:\/\/pando\.example\.org:8720 to clients\)$/m);
      expect(JSON.parse(readFileSync(join(data, "server.json"), "utf8")).url).toBe("https://pando.example.org:8720");
      const monitor = pando(["monitor", "--data-dir", data]);
      expect(monitor.status, monitor.stderr).toBe(0);
      expect(monitor.stdout).toMatch(/^https:\/\/pando\.example\.org:8720\/#token=/);
    } finally {
      proc.kill("SIGTERM");
      await new Promise((r) => proc.once("exit", r));
    }
  });

  it("warns when it tells clients a plain-HTTP URL of another machine", async () => {
    const proc = spawn(
      process.execPath,
      [CLI, "server", "--port", "0", "--data-dir", join(dir, "plain"), "--public-url", "http://198.18.0.2:8720"],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PANDO_LOG_LEVEL: "warn" } },
    );
    let out = "";
    let err = "";
    proc.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
    proc.stderr.on("data", (c: Buffer) => (err += c.toString("utf8")));
    try {
      await until("the server to listen", () => (out.includes("credentials:") ? true : undefined), 20_000);
      expect(err).toMatch(/^pando: clients are told http:\/\/198\.18\.0\.2:8720: plain HTTP to other machines, .*--insecure-http/m);
    } finally {
      proc.kill("SIGTERM");
      await new Promise((r) => proc.once("exit", r));
    }
  });
});
