/**
 * The vocabulary of the load benchmark: where a server listens, what a load
 * generator reports, and what one measurement of one server gives.
 *
 * @module
 */

/** Where a server under test listens: TCP and UDP on loopback. */
export interface Target {
  /** An IPv4 loopback address, such as `127.0.0.1`. */
  readonly host: string;
  /** Its TCP echo port. */
  readonly tcpPort: number;
  /** Its UDP echo port, or `null` when it serves no UDP. */
  readonly udpPort: number | null;
}

/** What a TCP echo throughput run reports. */
export interface TcpEchoReport {
  /** Bytes echoed and verified before the deadline. */
  readonly bytes: number;
  /** The measuring window, in seconds. */
  readonly seconds: number;
  /** Bytes sent that never came back (a stalled server). */
  readonly unanswered: number;
  /** Replies that differed from what was sent. */
  readonly mismatches: number;
  /** Connections that failed: reset, early end, extra bytes, stall. */
  readonly errors: number;
  /** CPU seconds the load generator used in the window. */
  readonly clientCpu: number;
}

/** What a connection-rate run reports. */
export interface ConnRateReport {
  /** Connections completed (connect, send, echo read, close). */
  readonly conns: number;
  /** The measuring window, in seconds. */
  readonly seconds: number;
  /** Connections that failed, of any kind. */
  readonly errors: number;
  /** The median connect-to-echo time, in µs. */
  readonly p50Us: number;
  /** The 99th percentile connect-to-echo time, in µs. */
  readonly p99Us: number;
  /** CPU seconds the load generator used in the window. */
  readonly clientCpu: number;
}

/** What a UDP request/response run reports. */
export interface UdpEchoReport {
  /** Requests sent. */
  readonly sent: number;
  /** Requests answered in time, with exactly their own bytes. */
  readonly received: number;
  /** Requests with no reply within the timeout. */
  readonly lost: number;
  /** Replies that were not exactly one request's bytes (merged, split, changed). */
  readonly bad: number;
  /** Replies that came after their request was counted lost, or twice. */
  readonly late: number;
  /** The measuring window, in seconds. */
  readonly seconds: number;
  /** The median round trip, in µs. */
  readonly p50Us: number;
  /** The 99th percentile round trip, in µs. */
  readonly p99Us: number;
  /** CPU seconds the load generator used in the window. */
  readonly clientCpu: number;
}

/** Idle connections held open by a load generator until released. */
export interface HeldConnections {
  /** Connections open, each having echoed one byte. */
  readonly held: number;
  /** Connections that could not be opened or did not echo. */
  readonly errors: number;
  /** Closes them all. */
  release(): Promise<void>;
}

/** A load generator: the C one, or the Deno one of the quick mode. */
export interface LoadClient {
  /** Its name in the report, such as `"C (epoll, 1 thread)"`. */
  readonly name: string;
  /**
   * Whether its connection-rate runs can spread over many source addresses;
   * if not, every connection comes from 127.0.0.1.
   */
  readonly spreadsSources: boolean;
  /**
   * Streams 16 KiB chunks over `conns` connections for `seconds`, keeping at
   * most `windowBytes(conns)` in flight on each, and verifies every echoed byte.
   */
  tcpEcho(target: Target, conns: number, seconds: number): Promise<TcpEchoReport>;
  /**
   * Opens connections as fast as `concurrency` workers can: connect, send 32
   * bytes, read them back, close. `sources` spreads the connections over that
   * many source addresses (0: the kernel's choice, 127.0.0.1).
   */
  connRate(
    target: Target,
    concurrency: number,
    seconds: number,
    sources: number,
  ): Promise<ConnRateReport>;
  /** Keeps `outstanding` UDP requests of 32 to 64 bytes in flight for `seconds`. */
  udpEcho(target: Target, outstanding: number, seconds: number): Promise<UdpEchoReport>;
  /** Opens `count` connections, echoes one byte on each, and holds them. */
  hold(target: Target, count: number): Promise<HeldConnections>;
}

/** One thing a run verified. */
export interface Check {
  /** What was checked, such as `"muxd tcp-32: every byte echoed and verified"`. */
  readonly name: string;
  /** Whether it held. */
  readonly ok: boolean;
  /** The numbers behind it. */
  readonly detail: string;
  /** A required check must pass for the run to count (the quick test asserts these). */
  readonly required: boolean;
}

/** The measures taken against every server, side by side. */
export type MeasureId = "tcp-1" | "tcp-32" | "conn-rate" | "udp-1" | "udp-16" | "idle-mem";

/** One measurement of one server in one round. */
export interface Sample {
  /** The headline figure (MiB/s, connections/s, requests/s or KiB per connection). */
  readonly value: number;
  /** Further figures, such as `p99Us` or `cpuUsPerConn`. */
  readonly extras: Readonly<Record<string, number>>;
  /** The load generator's CPU use, as a fraction of one core. */
  readonly clientCpu: number;
  /** The server's CPU use, as a fraction of one core (can exceed 1). */
  readonly serverCpu: number;
  /**
   * Softirq time meanwhile, as a fraction of one core: the kernel's network
   * stack (loopback packets are processed there), charged to no process.
   */
  readonly softirqCpu: number;
  /**
   * CPU used meanwhile by everything else on the machine (other programs,
   * the benchmark's own process), as a fraction of one core: noise when high.
   */
  readonly otherCpu: number;
  /** The checks of this round. */
  readonly checks: readonly Check[];
}
