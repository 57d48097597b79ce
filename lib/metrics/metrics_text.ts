/**
 * What `GET /metrics` answers: every metric family, with the collector's
 * series and the process's figures, in the Prometheus text format. The
 * families are listed once, here, with their type and help; docs/metrics.md
 * describes the same list.
 *
 * @module
 */

import type { MetricsCollector } from "./collector.ts";
import { Exposition, type Labels, METRICS_CONTENT_TYPE, type MetricType } from "./exposition.ts";
import type { ListenerCounters, ListenerLabels, ListenerSeries, Tally } from "./listener_series.ts";
import { ProcessFigures, type ProcessSample } from "./process_figures.ts";

/** Which listeners a family concerns: a UDP listener has no connections, echo runs no programs. */
type Applies = (labels: ListenerLabels) => boolean;

const ANY: Applies = () => true;
const TCP: Applies = (l) => l.transport === "tcp";
const UDP: Applies = (l) => l.transport === "udp";
const EXEC: Applies = (l) => l.service === "exec";
const UDP_RELAY: Applies = (l) => l.transport === "udp" && l.service === "forward";

/** A family whose one sample per listener is a number. */
interface PerListener {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  /** The listeners it has a sample for. */
  readonly of: Applies;
  readonly value: (series: Readonly<ListenerSeries>) => number;
}

/** A counter per listener and per reason or kind. */
interface PerReason {
  readonly name: string;
  readonly help: string;
  /** The listeners it has samples for. */
  readonly of: Applies;
  /** The label that holds the reason or kind. */
  readonly label: string;
  readonly tally: (counters: ListenerCounters) => Tally;
}

const PER_LISTENER: readonly PerListener[] = [
  {
    name: "muxd_listener_up",
    of: ANY,
    type: "gauge",
    help: "1 while the listener is bound and serving, 0 once it has closed.",
    value: (s) => s.up ? 1 : 0,
  },
  {
    name: "muxd_connections_open",
    of: TCP,
    type: "gauge",
    help: "TCP connections open now.",
    value: (s) => s.open,
  },
  {
    name: "muxd_connections_opened_total",
    of: TCP,
    type: "counter",
    help: "TCP connections accepted and handed to the service.",
    value: (s) => s.counters.opened,
  },
  {
    name: "muxd_datagrams_received_total",
    of: UDP,
    type: "counter",
    help: "UDP datagrams received and handed to the service.",
    value: (s) => s.counters.datagrams,
  },
  {
    name: "muxd_replies_sent_total",
    of: UDP,
    type: "counter",
    help: "UDP replies sent.",
    value: (s) => s.counters.replies,
  },
  {
    name: "muxd_bytes_received_total",
    of: ANY,
    type: "counter",
    help:
      "Bytes that arrived from clients: TCP when a connection closes (its service's, drained and dropped), UDP per datagram.",
    value: (s) => s.counters.bytesIn,
  },
  {
    name: "muxd_bytes_sent_total",
    of: ANY,
    type: "counter",
    help: "Bytes sent to clients: TCP when a connection closes, UDP per reply.",
    value: (s) => s.counters.bytesOut,
  },
  {
    name: "muxd_errors_total",
    of: ANY,
    type: "counter",
    help: "Connections or datagrams that failed with an error; the listener went on.",
    value: (s) => s.counters.errors,
  },
  {
    name: "muxd_exec_processes_started_total",
    of: EXEC,
    type: "counter",
    help: "Programs the exec service started.",
    value: (s) => s.counters.execStarted,
  },
  {
    name: "muxd_relay_upstream_bytes_sent_total",
    of: UDP_RELAY,
    type: "counter",
    help: "Bytes UDP relay sessions sent to the upstream, counted when a session ends.",
    value: (s) => s.counters.sessionBytesUp,
  },
  {
    name: "muxd_relay_upstream_bytes_received_total",
    of: UDP_RELAY,
    type: "counter",
    help: "Bytes UDP relay sessions received from the upstream, counted when a session ends.",
    value: (s) => s.counters.sessionBytesDown,
  },
];

const PER_REASON: readonly PerReason[] = [
  {
    name: "muxd_connections_refused_total",
    of: TCP,
    help: "TCP connections turned away before the service saw them, by the rule that refused.",
    label: "reason",
    tally: (c) => c.refused,
  },
  {
    name: "muxd_connections_closed_total",
    of: TCP,
    help: "TCP connections ended, by why they ended.",
    label: "reason",
    tally: (c) => c.closed,
  },
  {
    name: "muxd_replies_suppressed_total",
    of: UDP,
    help: "UDP replies a guard suppressed or cut, by the guard.",
    label: "reason",
    tally: (c) => c.suppressed,
  },
  {
    name: "muxd_faults_applied_total",
    of: ANY,
    help: "Faults that hit a connection or a datagram, by kind.",
    label: "kind",
    tally: (c) => c.faults,
  },
  {
    name: "muxd_exec_processes_exited_total",
    of: EXEC,
    help: "Programs the exec service ran that exited, by who ended them (self: they exited).",
    label: "ended_by",
    tally: (c) => c.execExited,
  },
  {
    name: "muxd_relay_sessions_closed_total",
    of: UDP_RELAY,
    help: "UDP relay sessions ended, by why they ended.",
    label: "reason",
    tally: (c) => c.sessionsClosed,
  },
];

const DURATION = "muxd_connection_duration_seconds";

/** The labels of a listener's series. */
function labelsOf(series: Readonly<ListenerSeries>): Labels {
  const { transport, local, service } = series.labels;
  return [["transport", transport], ["local", local], ["service", service]];
}

/**
 * The metrics in the Prometheus text format 0.0.4: per listener (labels
 * `transport`, `local`, `service`) and for the process.
 *
 * @param collector The counters.
 * @param figures Where the process's figures come from. @default a new ProcessFigures
 * @returns The exposition text; serve it with {@linkcode METRICS_CONTENT_TYPE}.
 *
 * @example
 * ```ts
 * import { MetricsCollector, metricsText } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const text = metricsText(new MetricsCollector());
 * assert.match(text, /^# TYPE process_resident_memory_bytes gauge$/m);
 * ```
 */
export function metricsText(
  collector: MetricsCollector,
  figures: ProcessFigures = new ProcessFigures(),
): string {
  const out = new Exposition();
  const all = collector.series();
  for (const family of PER_LISTENER) {
    out.family(family.name, family.type, family.help);
    for (const s of all) {
      if (family.of(s.labels)) out.sample(family.name, labelsOf(s), family.value(s));
    }
  }
  for (const family of PER_REASON) {
    out.family(family.name, "counter", family.help);
    for (const s of all.filter((s) => family.of(s.labels))) {
      const labels = labelsOf(s);
      for (const [reason, n] of family.tally(s.counters)) {
        out.sample(family.name, [...labels, [family.label, reason]], n);
      }
    }
  }
  out.family(DURATION, "histogram", "How long TCP connections lasted, from accept to close.");
  for (const s of all.filter((s) => TCP(s.labels))) {
    const labels = labelsOf(s);
    const h = s.counters.durations.snapshot();
    h.bounds.forEach((le, i) =>
      out.sample(`${DURATION}_bucket`, [...labels, ["le", String(le)]], h.cumulative[i])
    );
    out.sample(`${DURATION}_bucket`, [...labels, ["le", "+Inf"]], h.count);
    out.sample(`${DURATION}_sum`, labels, h.sum);
    out.sample(`${DURATION}_count`, labels, h.count);
  }
  out.family(
    "muxd_counters_start_time_seconds",
    "gauge",
    "When the counters started: at start-up or at the last reset, in seconds since the Unix epoch.",
  );
  out.sample("muxd_counters_start_time_seconds", [], collector.since / 1000);
  writeProcess(out, figures.read());
  return out.text();
}

/** The process's families; one whose figure could not be read is left out. */
function writeProcess(out: Exposition, p: ProcessSample): void {
  const one = (name: string, type: MetricType, help: string, value: number | null) => {
    if (value === null) return;
    out.family(name, type, help);
    out.sample(name, [], value);
  };
  one("process_resident_memory_bytes", "gauge", "Resident memory, in bytes.", p.residentBytes);
  one(
    "process_cpu_seconds_total",
    "counter",
    "User and system CPU time, in seconds.",
    p.cpuSeconds,
  );
  one(
    "process_start_time_seconds",
    "gauge",
    "When the process started, in seconds since the Unix epoch.",
    p.startSeconds,
  );
  one("process_open_fds", "gauge", "Open file descriptors (needs --allow-all).", p.openFds);
  one(
    "process_max_fds",
    "gauge",
    "The limit on open file descriptors (needs --allow-all).",
    p.maxFds,
  );
  one("muxd_heap_used_bytes", "gauge", "The JavaScript heap in use, in bytes.", p.heapUsedBytes);
  one("muxd_heap_total_bytes", "gauge", "The JavaScript heap's size, in bytes.", p.heapTotalBytes);
}

/**
 * A request handler for `GET /metrics`, for a server built on `Deno.serve`
 * such as a control API: it answers `GET` and `HEAD` with the metrics, and
 * anything else with 405. Access rules (Host, token) are the caller's.
 *
 * @param collector The counters.
 * @param figures Where the process's figures come from. @default a new ProcessFigures
 * @returns The handler.
 *
 * @example
 * ```ts
 * import { MetricsCollector, metricsHandler, METRICS_CONTENT_TYPE } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const handle = metricsHandler(new MetricsCollector());
 * const response = handle(new Request("http://127.0.0.1/metrics"));
 * assert.equal(response.headers.get("content-type"), METRICS_CONTENT_TYPE);
 * await response.body?.cancel();
 * ```
 */
export function metricsHandler(
  collector: MetricsCollector,
  figures: ProcessFigures = new ProcessFigures(),
): (request: Request) => Response {
  return (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("Only GET and HEAD.\n", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    const body = metricsText(collector, figures);
    return new Response(request.method === "HEAD" ? null : body, {
      headers: { "content-type": METRICS_CONTENT_TYPE, "cache-control": "no-store" },
    });
  };
}
