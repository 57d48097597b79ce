/**
 * The measures taken against every server: what each runs, which figures it
 * keeps, and what it checks. The server's CPU time and memory come from
 * /proc, read before and after.
 *
 * @module
 */

import { machineTimes, treeCpuSeconds, treeRssKiB } from "./proc.ts";
import type { RunningPeer } from "./peers.ts";
import type { Check, LoadClient, MeasureId, Sample } from "./types.ts";

/** How a measure is shown. */
export interface MeasureInfo {
  /** The measure. */
  readonly id: MeasureId;
  /** Its name in tables. */
  readonly title: string;
  /** The unit of its headline figure. */
  readonly unit: string;
  /** Whether more is better (throughput) or less (memory). */
  readonly higherIsBetter: boolean;
  /** Runs on UDP. */
  readonly udp: boolean;
}

/** Every measure, in report order. */
export const MEASURES: readonly MeasureInfo[] = [
  { id: "tcp-1", title: "TCP echo, 1 connection", unit: "MiB/s", higherIsBetter: true, udp: false },
  {
    id: "tcp-32",
    title: "TCP echo, 32 connections",
    unit: "MiB/s",
    higherIsBetter: true,
    udp: false,
  },
  {
    id: "conn-rate",
    title: "TCP connection rate",
    unit: "conn/s",
    higherIsBetter: true,
    udp: false,
  },
  { id: "udp-1", title: "UDP echo, 1 outstanding", unit: "req/s", higherIsBetter: true, udp: true },
  {
    id: "udp-16",
    title: "UDP echo, 16 outstanding",
    unit: "req/s",
    higherIsBetter: true,
    udp: true,
  },
  {
    id: "idle-mem",
    title: "Memory per idle TCP connection",
    unit: "KiB",
    higherIsBetter: false,
    udp: false,
  },
];

/** A run's CPU use, each as a fraction of one core. */
type CpuShares = Pick<Sample, "clientCpu" | "serverCpu" | "softirqCpu" | "otherCpu">;

/** How long and how hard each measure runs. */
export interface MeasureSettings {
  /** Seconds per throughput or rate run. */
  readonly seconds: number;
  /** Connections held for the memory measure. */
  readonly idleConnections: number;
  /** Concurrent connections of the connection-rate run. */
  readonly rateConcurrency: number;
}

/** A load generator at or above this share of its one core is the bottleneck. */
export const CLIENT_BOUND_SHARE = 0.9;

/** The server a measure runs against. */
export interface MeasuredServer {
  /** Its name, for the checks. */
  readonly label: string;
  /** The running server. */
  readonly peer: RunningPeer;
  /** Source addresses for the connection-rate run. */
  readonly rateSources: number;
  /**
   * Whether its checks are required: muxd's, and the C reference's (a failure
   * there is the benchmark's own bug). Another server's failures are findings.
   */
  readonly required: boolean;
}

/**
 * Runs one measure against one server.
 *
 * @param id The measure.
 * @param server The server, running.
 * @param client The load generator.
 * @param settings Durations and counts.
 * @returns The sample.
 */
export async function runMeasure(
  id: MeasureId,
  server: MeasuredServer,
  client: LoadClient,
  settings: MeasureSettings,
): Promise<Sample> {
  const { peer, label, rateSources } = server;
  const { target } = peer;
  const check = (what: string, ok: boolean, detail: string, required = true): Check => ({
    name: `${label}, ${id}: ${what}`,
    ok,
    detail,
    required: required && server.required,
  });
  const pid = id.startsWith("udp") ? peer.udpPid! : peer.tcpPid;
  const cpu0 = treeCpuSeconds(pid);
  const machine0 = machineTimes();
  const wall0 = performance.now();
  /**
   * The CPU shares of a run that just ended: the load generator's (`client`
   * CPU seconds over its own `seconds`), the server's, the kernel's network
   * stack's and everything else's since the start, each per second of wall time.
   */
  const cpuShares = (client: number, seconds: number): CpuShares => {
    const wall = (performance.now() - wall0) / 1000;
    const server = treeCpuSeconds(pid) - cpu0;
    const machine = machineTimes();
    const softirq = machine.softirq - machine0.softirq;
    return {
      clientCpu: client / seconds,
      serverCpu: server / wall,
      softirqCpu: softirq / wall,
      otherCpu: Math.max(0, (machine.busy - machine0.busy - softirq - server - client) / wall),
    };
  };

  if (id === "tcp-1" || id === "tcp-32") {
    const r = await client.tcpEcho(target, id === "tcp-1" ? 1 : 32, settings.seconds);
    return {
      ...cpuShares(r.clientCpu, r.seconds),
      value: r.bytes / r.seconds / 2 ** 20,
      extras: { unanswered: r.unanswered, errors: r.errors, mismatches: r.mismatches },
      checks: [
        check(
          "every byte echoed and verified",
          r.bytes > 0 && r.errors === 0 && r.mismatches === 0 && r.unanswered === 0,
          `${r.bytes} bytes in the window, ${r.mismatches} mismatches, ${r.unanswered} bytes ` +
            `never echoed, ${r.errors} failed connections`,
        ),
      ],
    };
  }

  if (id === "conn-rate") {
    const r = await client.connRate(
      target,
      settings.rateConcurrency,
      settings.seconds,
      rateSources,
    );
    const used = treeCpuSeconds(pid) - cpu0;
    return {
      ...cpuShares(r.clientCpu, r.seconds),
      value: r.conns / r.seconds,
      extras: {
        p50Us: r.p50Us,
        p99Us: r.p99Us,
        errors: r.errors,
        cpuUsPerConn: r.conns > 0 ? used / r.conns * 1e6 : NaN,
      },
      checks: [
        check(
          "connections completed with 0 errors",
          r.conns > 0 && r.errors === 0,
          `${r.conns} connections, ${r.errors} errors`,
        ),
      ],
    };
  }

  if (id === "udp-1" || id === "udp-16") {
    const r = await client.udpEcho(target, id === "udp-1" ? 1 : 16, settings.seconds);
    return {
      ...cpuShares(r.clientCpu, r.seconds),
      value: r.received / r.seconds,
      extras: {
        p50Us: r.p50Us,
        p99Us: r.p99Us,
        lossPct: r.sent > 0 ? r.lost / r.sent * 100 : 0,
        bad: r.bad,
        late: r.late,
      },
      checks: [
        check(
          "every reply exactly one request's bytes (boundaries kept)",
          r.received > 0 && r.bad === 0,
          `${r.received} replies, ${r.bad} merged, split or changed`,
        ),
        // Loss is reported, not required: UDP may drop, and the targets judge it.
        check("no datagram lost", r.lost === 0, `${r.lost} of ${r.sent} lost`, false),
      ],
    };
  }

  // idle-mem: the resident memory of the server (and what it forked) before
  // and while it holds idle connections. The server is a fresh one; a few
  // connections first let it set up whatever it sets up once.
  const warmUp = await client.hold(target, 20);
  await warmUp.release();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const before = treeRssKiB(peer.tcpPid);
  const held = await client.hold(target, settings.idleConnections);
  try {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = treeRssKiB(peer.tcpPid);
    return {
      value: held.held > 0 ? (after - before) / held.held : NaN,
      extras: { beforeKiB: before, afterKiB: after, held: held.held },
      // Nothing runs meanwhile whose CPU use would say anything.
      clientCpu: NaN,
      serverCpu: NaN,
      softirqCpu: NaN,
      otherCpu: NaN,
      checks: [
        check(
          `${settings.idleConnections} connections held, each echoed a byte`,
          held.held === settings.idleConnections && held.errors === 0,
          `${held.held} held, ${held.errors} failed`,
        ),
      ],
    };
  } finally {
    await held.release();
  }
}
