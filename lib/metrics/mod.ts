/**
 * Prometheus metrics: a collector that consumes the one event stream and
 * counts per listener (labels `transport`, `local`, `service`, never a
 * client's), the process's own figures read at each scrape, and the text
 * format 0.0.4 that `GET /metrics` answers with. docs/metrics.md lists
 * every metric.
 *
 * ```ts
 * import { EventHub } from "../events/mod.ts";
 * import { MetricsCollector, metricsText } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const hub = new EventHub();
 * const metrics = new MetricsCollector();
 * hub.subscribe(metrics.record); // before start(plan, { sink: hub.emit })
 * assert.match(metricsText(metrics), /^# TYPE muxd_connections_opened_total counter$/m);
 * ```
 *
 * @module
 */

export { MetricsCollector, type MetricsCollectorOptions } from "./collector.ts";
export { KEEP_CLOSED } from "../events/recently_closed.ts";
export {
  escapeHelp,
  escapeLabelValue,
  Exposition,
  formatValue,
  type Labels,
  METRICS_CONTENT_TYPE,
  type MetricType,
} from "./exposition.ts";
export { DURATION_BUCKETS, Histogram, type HistogramSnapshot } from "./histogram.ts";
export {
  type ListenerCounters,
  type ListenerLabels,
  type ListenerSeries,
  newCounters,
  type Tally,
  tally,
} from "./listener_series.ts";
export { metricsHandler, metricsText } from "./metrics_text.ts";
export { ProcessFigures, type ProcessSample } from "./process_figures.ts";
