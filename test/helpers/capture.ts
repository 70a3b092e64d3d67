// A packet capture on a host of the test network (tcpdump in its namespace, installed by
// scripts/services/capture.sh): whatever crossed the host's interface, to check what travels in clear text.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./cluster.js";
import type { HostProcess, TestNetwork } from "./netns.js";
import { until } from "./until.js";

export interface Capture {
  /** Stops the capture and returns the packets it saw, headers and payloads as captured (pcap). */
  stop(): Promise<Buffer>;
}

/** Installs tcpdump if it is missing (a clear error from apt when it cannot). */
export function ensureTcpdump(): void {
  execFileSync(join(ROOT, "scripts", "services", "capture.sh"), ["install"], { stdio: ["ignore", "ignore", "inherit"] });
}

/** Captures every packet on a host's interface (whole packets, written as they come) into `file`. */
export async function startCapture(network: TestNetwork, host: string, file: string, iface = "eth0"): Promise<Capture> {
  const tcpdump: HostProcess = network.spawn(host, "tcpdump", ["-i", iface, "-s", "0", "-U", "-n", "-w", file]);
  // tcpdump says "listening on …" once packets are being captured.
  await until(`tcpdump to listen on ${host}'s ${iface}`, () => {
    if (tcpdump.proc.exitCode !== null) throw new Error(`tcpdump exited on ${host}: ${tcpdump.output()}`);
    return /listening on/.test(tcpdump.output()) || undefined;
  });
  return {
    stop: async () => {
      const exited = new Promise((r) => tcpdump.proc.once("exit", r));
      tcpdump.proc.kill("SIGINT");
      await exited;
      if (!existsSync(file)) throw new Error(`tcpdump wrote no capture on ${host}: ${tcpdump.output()}`);
      return readFileSync(file);
    },
  };
}

/**
 * Checks a capture against what should travel in clear text: with `visible` true (plain HTTP) each secret
 * must be in it, which also proves the capture saw the traffic; with `visible` false (TLS) none may be.
 * Returns what is wrong, one line per secret ([] when all is as expected).
 */
export function checkCapture(packets: Buffer, secrets: Record<string, string>, options: { visible: boolean }): string[] {
  return Object.entries(secrets).flatMap(([name, secret]) => {
    const seen = packets.includes(Buffer.from(secret, "utf8"));
    if (seen === options.visible) return [];
    return [`${name} is ${seen ? "" : "not "}in the capture (${packets.length} bytes) in clear text, expected ${options.visible ? "" : "not "}to be`];
  });
}

/** How many packets a capture holds (pcap: a 24-byte file header, then a 16-byte header before each packet). */
export function capturedPackets(packets: Buffer): number {
  let count = 0;
  for (let at = 24; at + 16 <= packets.length; at += 16 + packets.readUInt32LE(at + 8)) count++;
  return count;
}
