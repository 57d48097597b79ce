/**
 * From listen-spec text to a plan: every socket to bind, each with its
 * service and options, checked before anything is bound. Every error is
 * collected with its position, not just the first.
 *
 * @module
 */

import { getService } from "../services/registry.ts";
import type { ServiceName } from "../services/names.ts";
import {
  formatListenSpec,
  formatSource,
  type ListenSpec,
  ListenSpecError,
  parseListenSpec,
} from "../spec/mod.ts";
import type { SpecSource, Transport } from "../spec/types.ts";

/** A listen spec as text, with where it came from. */
export interface ListenItem {
  /** The spec text, such as `tcp://127.0.0.1:7007=echo`. */
  readonly text: string;
  /** Where the text came from, for error messages. */
  readonly source: SpecSource;
}

/** One socket to bind: a single transport, address and port. */
export interface PlannedListener {
  /** `tcp` or `udp`. */
  readonly transport: Transport;
  /** The address or host name to bind, without brackets. */
  readonly hostname: string;
  /** The port; 0 lets the OS pick. */
  readonly port: number;
  /** The service that answers on it. */
  readonly service: ServiceName;
  /** The service's options, with defaults filled in. */
  readonly options: Readonly<Record<string, string>>;
  /** The canonical spec text for this one socket. */
  readonly spec: string;
  /** Where the spec came from. */
  readonly source: SpecSource;
}

/** Everything to bind, in order. Immutable. */
export interface Plan {
  /** One entry per socket; a port range becomes one entry per port. */
  readonly listeners: readonly PlannedListener[];
}

/** A spec that parses but cannot be used, such as UDP for a TCP-only service. */
export class PlanError extends Error {
  /** The spec text. */
  readonly text: string;
  /** Where it came from. */
  readonly source: SpecSource;
  /** What is wrong, in plain words. */
  readonly reason: string;

  /**
   * Creates the error; the message names the spec, its source and the reason.
   *
   * @param text The spec text.
   * @param source Where it came from.
   * @param reason What is wrong.
   */
  constructor(text: string, source: SpecSource, reason: string) {
    super(`Cannot use listen spec "${text}" (${formatSource(source)}): ${reason}`);
    this.name = "PlanError";
    this.text = text;
    this.source = source;
    this.reason = reason;
  }
}

/** The result of {@linkcode buildPlan}: a plan, and every error found. */
export interface PlanResult {
  /** The listeners of every spec that had no error. */
  readonly plan: Plan;
  /** Every problem, each naming its spec and position. Empty when all is well. */
  readonly errors: readonly (ListenSpecError | PlanError)[];
}

/**
 * Parses and checks listen specs and expands port ranges.
 *
 * @param items The specs, in order, each with its source.
 * @returns The plan and every error found.
 *
 * @example
 * ```ts
 * import { buildPlan } from "./plan.ts";
 * const { plan, errors } = buildPlan([
 *   { text: "tcp://127.0.0.1:7007=echo", source: { kind: "argument", index: 2 } },
 * ]);
 * // plan.listeners[0].port === 7007, errors.length === 0
 * ```
 */
export function buildPlan(items: readonly ListenItem[]): PlanResult {
  const errors: (ListenSpecError | PlanError)[] = [];
  const listeners: PlannedListener[] = [];
  const seen = new Map<string, SpecSource>();
  for (const { text: given, source } of items) {
    let spec: ListenSpec;
    try {
      spec = parseListenSpec(given, source);
    } catch (error) {
      if (!(error instanceof ListenSpecError)) throw error;
      errors.push(error);
      continue;
    }
    const problem = checkSpec(spec);
    const text = formatListenSpec(spec);
    if (problem) {
      errors.push(new PlanError(text, source, problem));
      continue;
    }
    for (const listener of expand(spec, source)) {
      const key = `${listener.transport} ${listener.hostname} ${listener.port}`;
      const earlier = seen.get(key);
      if (listener.port !== 0 && earlier) {
        errors.push(
          new PlanError(
            text,
            source,
            `${listener.transport} ${listener.hostname} port ${listener.port} is listed twice ` +
              `(also at ${formatSource(earlier)}); one socket name can be bound only once`,
          ),
        );
        continue;
      }
      seen.set(key, source);
      listeners.push(listener);
    }
  }
  return { plan: { listeners }, errors };
}

/** Returns what is wrong with a parsed spec, or `null`. */
function checkSpec(spec: ListenSpec): string | null {
  const service = getService(spec.service);
  if (!service[spec.transport]) {
    const other = spec.transport === "tcp" ? "UDP" : "TCP";
    return `${spec.service} is a ${other}-only service`;
  }
  const known = service.options.map((o) => o.key);
  for (const [key, value] of Object.entries(spec.options)) {
    const option = service.options.find((o) => o.key === key);
    if (!option) {
      const hint = known.length ? `; ${spec.service} takes: ${known.join(", ")}` : "";
      return `unknown option "${key}" for ${spec.service}${hint}`;
    }
    const problem = option.validate?.(value);
    if (problem) return `option ${key}: ${problem}`;
  }
  return null;
}

/** One planned listener per port of the spec's range. */
function expand(spec: ListenSpec, source: SpecSource): PlannedListener[] {
  const service = getService(spec.service);
  const options: Record<string, string> = {};
  for (const o of service.options) options[o.key] = spec.options[o.key] ?? o.default;
  const hostname = spec.host.kind === "name" ? spec.host.name : spec.host.address;
  const out: PlannedListener[] = [];
  for (let port = spec.port.first; port <= spec.port.last; port++) {
    const single: ListenSpec = { ...spec, port: { first: port, last: port } };
    out.push({
      transport: spec.transport,
      hostname,
      port,
      service: spec.service,
      options,
      spec: formatListenSpec(single),
      source,
    });
  }
  return out;
}
