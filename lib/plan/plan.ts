/**
 * From listen-spec text to a plan: every socket to bind, each with its
 * service and options, checked before anything is bound. Every error is
 * collected with its position, not just the first.
 *
 * @module
 */

import { getService } from "../services/registry.ts";
import type { ServiceName } from "../services/names.ts";
import { OptionError, parseOptionValues, trueOrFalse } from "../services/options.ts";
import { LIMIT_OPTIONS, limitsFrom, type ListenerLimits } from "../guard/limits.ts";
import { FAULT_OPTIONS, type Faults, faultsFrom } from "../faults/mod.ts";
import {
  formatIPv6,
  formatListenSpec,
  formatSource,
  type Host,
  type ListenSpec,
  ListenSpecError,
  parseIPv6,
  parseListenSpec,
} from "../spec/mod.ts";
import type { SpecSource, Transport } from "../spec/types.ts";
import { quote } from "../spec/listen_spec_error.ts";
import { interfaceTypo } from "./interface_name.ts";
import {
  dropCoveredAddresses,
  WILDCARD_OPTION,
  wildcardAddresses,
  type WildcardMode,
} from "./udp_wildcard.ts";

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
  /** 4 or 6 for an address; `null` for a host name, resolved when binding. */
  readonly family: 4 | 6 | null;
  /** The port; 0 lets the OS pick. */
  readonly port: number;
  /** The service that answers on it. */
  readonly service: ServiceName;
  /**
   * The service's options, parsed once into typed fields (defaults filled
   * in): the `O` of the service's `Service<O>`.
   */
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * Share the port with other sockets that also ask for it: SO_REUSEPORT for
   * TCP, SO_REUSEADDR for UDP (the spec option `reuse=true`).
   */
  readonly reuse: boolean;
  /** Access lists and limits, from the spec's options and the defaults. */
  readonly limits: ListenerLimits;
  /**
   * The faults the spec's options set, or `null` for none. Not part of the
   * listener's identity: a reload that changes only its faults keeps its
   * socket and connections, and the new faults apply to what arrives next;
   * except that adding or removing `reset-after` binds anew (see
   * {@linkcode needsReset}).
   */
  readonly faults: Faults | null;
  /**
   * The canonical spec text for this one socket, to show in messages and
   * events. A listener's identity is its transport, address and port (see
   * {@linkcode sameSocketName}), not this text.
   */
  readonly spec: string;
  /** The canonical text of the spec it came from (a range or an interface name), to show. */
  readonly origin: string;
  /**
   * For one socket of a UDP wildcard bound per address (see
   * `lib/plan/udp_wildcard.ts`): the wildcard it stands in for, `0.0.0.0`
   * or `::`. `null` for every other listener.
   */
  readonly wildcard: "0.0.0.0" | "::" | null;
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
   * @param what What the message says could not be used, when not the listen
   *   spec itself (such as the faults given for a running listener).
   */
  constructor(
    text: string,
    source: SpecSource,
    reason: string,
    what = `listen spec ${quote(text)}`,
  ) {
    super(`Cannot use ${what} (${formatSource(source)}): ${reason}`);
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

/** What the plan needs to know about the host. */
export interface PlanOptions {
  /**
   * The host's network interfaces, as `Deno.networkInterfaces()` lists them;
   * a spec whose host is an interface name binds each of its addresses.
   * @default [] (every name is a host name)
   */
  readonly interfaces?: readonly Deno.NetworkInterfaceInfo[];
}

/**
 * Parses and checks listen specs and expands port ranges and interface
 * names. Conflicts between listeners are left to `check` and to the kernel.
 *
 * @param items The specs, in order, each with its source.
 * @param options What the plan needs to know about the host.
 * @returns The plan and every error found.
 *
 * @example
 * ```ts
 * import { buildPlan } from "./plan.ts";
 * import assert from "node:assert/strict";
 *
 * const { plan, errors } = buildPlan([
 *   { text: "tcp://127.0.0.1:7007=echo", source: { kind: "argument", index: 2 } },
 * ]);
 * assert.deepEqual(errors, []);
 * assert.equal(plan.listeners[0].port, 7007);
 * ```
 */
export function buildPlan(items: readonly ListenItem[], options: PlanOptions = {}): PlanResult {
  const errors: (ListenSpecError | PlanError)[] = [];
  const listeners: PlannedListener[] = [];
  for (const { text: given, source } of items) {
    let spec: ListenSpec;
    try {
      spec = parseListenSpec(given, source);
    } catch (error) {
      if (!(error instanceof ListenSpecError)) throw error;
      errors.push(error);
      continue;
    }
    const text = formatListenSpec(spec);
    const parsed = checkSpec(spec);
    if (typeof parsed === "string") {
      errors.push(new PlanError(text, source, parsed));
      continue;
    }
    const interfaces = options.interfaces ?? [];
    const perAddress = wildcardAddresses(spec, parsed.wildcard, interfaces);
    const hosts = perAddress ?? hostsOf(spec.host, interfaces);
    if (typeof hosts === "string") {
      errors.push(new PlanError(text, source, hosts));
      continue;
    }
    listeners.push(...expand(spec, parsed, hosts, text, source, Array.isArray(perAddress)));
  }
  return { plan: { listeners: dropCoveredAddresses(listeners) }, errors };
}

/** The spec options every listener takes, whatever its service: reuse, the limits and the faults. */
export const LISTENER_OPTIONS = [
  {
    key: "reuse",
    field: "reuse",
    description: "Share the port with other sockets that also set reuse: SO_REUSEPORT for TCP, " +
      "SO_REUSEADDR for UDP. A wildcard and a specific socket can then share a port, and the " +
      "kernel hands each arrival to the most specific one; on one name, TCP connections are " +
      "split between the sockets, while the UDP socket bound last takes every datagram.",
    default: "false",
    parse: trueOrFalse,
  },
  WILDCARD_OPTION,
  ...LIMIT_OPTIONS,
  ...FAULT_OPTIONS,
] as const;

/** A spec's options, parsed: the service's, reuse, the limits and the faults. */
interface ParsedOptions {
  readonly options: Readonly<Record<string, unknown>>;
  readonly reuse: boolean;
  readonly wildcard: WildcardMode;
  readonly limits: ListenerLimits;
  readonly faults: Faults | null;
}

/** Parses a spec's options once, or returns what is wrong. */
function checkSpec(spec: ListenSpec): ParsedOptions | string {
  const service = getService(spec.service);
  const serves = spec.transport === "tcp" ? service.tcp : service.udp ?? service.udpRelay;
  if (!serves) {
    const other = spec.transport === "tcp" ? "UDP" : "TCP";
    return `${spec.service} is a ${other}-only service`;
  }
  const known = [...service.options, ...LISTENER_OPTIONS];
  for (const [key, value] of Object.entries(spec.options)) {
    const option = known.find((o) => o.key === key);
    if (!option) {
      return `unknown option ${quote(key)} for ${spec.service}; it takes: ` +
        known.map((o) => o.key).join(", ");
    }
    const mismatch = transportMismatch(option, spec.transport);
    if (mismatch !== null) return mismatch;
    try {
      option.parse(value);
    } catch (error) {
      if (!(error instanceof RangeError) && !(error instanceof SyntaxError)) throw error;
      return `option ${key}: ${error.message}`;
    }
  }
  // Every value parses: build the typed options, defaults filled in. A
  // default that does not parse is an option the spec must set (exec's `run`, forward's `to`).
  const { reuse, wildcard } = parseOptionValues(LISTENER_OPTIONS, spec.options);
  let options: Readonly<Record<string, unknown>>;
  try {
    options = parseOptionValues(service.options, spec.options);
  } catch (error) {
    if (!(error instanceof OptionError)) throw error;
    return `${spec.service} needs the option ${error.key}: it ${error.message}`;
  }
  return {
    options,
    reuse,
    wildcard,
    limits: limitsFrom(spec.options),
    faults: faultsFrom(spec.options, spec.transport),
  };
}

/**
 * Why an option cannot be set on a listener of this transport (a TCP-only
 * option such as `max-conns` on a UDP listener, or the reverse), or `null`
 * when it can.
 */
function transportMismatch(
  option: {
    readonly key: string;
    readonly transport?: Transport;
    readonly transportReason?: string;
  },
  transport: Transport,
): string | null {
  if (option.transport === undefined || option.transport === transport) return null;
  const [only, given] = [option.transport, transport].map((t) => t.toUpperCase());
  const why = option.transportReason === undefined ? "" : ` (${option.transportReason})`;
  return `option ${option.key} applies to ${only} listeners only${why}, and this one is ` +
    `${given}; remove it`;
}

interface BindHost {
  readonly hostname: string;
  readonly family: 4 | 6 | null;
}

/** The addresses a spec's host stands for, or what is wrong. */
function hostsOf(
  host: Host,
  interfaces: readonly Deno.NetworkInterfaceInfo[],
): BindHost[] | string {
  if (host.kind === "ipv4") return [{ hostname: host.address, family: 4 }];
  if (host.kind === "ipv6") return [{ hostname: host.address, family: 6 }];
  const rows = interfaces.filter((i) => i.name === host.name);
  if (rows.length === 0) {
    return interfaceTypo(host.name, interfaces) ?? [{ hostname: host.name, family: null }];
  }
  // Link-local IPv6 addresses need a zone id to bind, which specs do not take.
  const usable = rows.filter((i) => !(i.family === "IPv6" && i.address.startsWith("fe80:")));
  if (usable.length === 0) {
    return `interface ${host.name} has only link-local IPv6 addresses, which need a zone id`;
  }
  return usable.map((i) => ({
    hostname: i.family === "IPv6" ? formatIPv6(parseIPv6(i.address)!) : i.address,
    family: i.family === "IPv6" ? 6 : 4,
  }));
}

/** One planned listener per address and port of the spec; `perAddress` for a UDP wildcard's addresses. */
function expand(
  spec: ListenSpec,
  { options, reuse, limits, faults }: ParsedOptions,
  hosts: readonly BindHost[],
  origin: string,
  source: SpecSource,
  perAddress: boolean,
): PlannedListener[] {
  const out: PlannedListener[] = [];
  for (const { hostname, family } of hosts) {
    const host: Host = family === 4
      ? { kind: "ipv4", address: hostname }
      : family === 6
      ? { kind: "ipv6", address: hostname }
      : spec.host;
    for (let port = spec.port.first; port <= spec.port.last; port++) {
      const single: ListenSpec = { ...spec, host, port: { first: port, last: port } };
      out.push({
        transport: spec.transport,
        hostname,
        family,
        port,
        service: spec.service,
        options,
        reuse,
        limits,
        faults,
        spec: formatListenSpec(single),
        origin,
        source,
        wildcard: perAddress ? (spec.host.kind === "ipv4" ? "0.0.0.0" : "::") : null,
      });
    }
  }
  return out;
}

/**
 * Tells whether two listeners bind the same socket name: the same transport,
 * address (or host name) and port. Port 0 never names the same socket twice:
 * the OS picks a new port for each.
 *
 * @param a A listener.
 * @param b Another.
 * @returns `true` when binding both would ask for one socket name twice.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildPlan, sameSocketName } from "./plan.ts";
 *
 * const at = (text: string) =>
 *   buildPlan([{ text, source: { kind: "argument", index: 1 } }]).plan.listeners[0];
 * assert.ok(sameSocketName(at("tcp://127.0.0.1:7007=echo"), at("tcp://127.0.0.1:7007=whoami")));
 * assert.ok(!sameSocketName(at("tcp://127.0.0.1:7007=echo"), at("udp://127.0.0.1:7007=echo")));
 * ```
 */
export function sameSocketName(a: PlannedListener, b: PlannedListener): boolean {
  return a.port !== 0 && a.transport === b.transport && a.port === b.port &&
    a.hostname === b.hostname;
}

/**
 * Tells whether two listeners are the same: the same socket name, service,
 * parsed options, reuse and limits. Their faults may differ (see
 * {@linkcode sameFaults}): a reload keeps a running listener that is the
 * same as a planned one, with its connections, and gives it the planned
 * faults (binding its socket anew on its port when one of them resets
 * connections and the other does not, see {@linkcode needsReset}).
 *
 * @param a A listener.
 * @param b Another.
 * @returns `true` when one can stand for the other.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildPlan, sameListener } from "./plan.ts";
 *
 * const at = (text: string) =>
 *   buildPlan([{ text, source: { kind: "argument", index: 1 } }]).plan.listeners[0];
 * assert.ok(sameListener(at("tcp://127.0.0.1:7007=echo?idle=30"), at("tcp://127.0.0.1:7007=echo?idle=30.0")));
 * assert.ok(!sameListener(at("tcp://127.0.0.1:7007=echo"), at("tcp://127.0.0.1:7007=echo?idle=30")));
 * // Faults are not part of what a listener is.
 * assert.ok(sameListener(at("tcp://127.0.0.1:7007=echo"), at("tcp://127.0.0.1:7007=echo?reset-after=1s")));
 * assert.ok(sameListener(at("tcp://127.0.0.1:7007=echo"), at("tcp://127.0.0.1:7007=echo?latency=50")));
 * ```
 */
export function sameListener(a: PlannedListener, b: PlannedListener): boolean {
  return a.transport === b.transport && a.hostname === b.hostname && a.port === b.port &&
    a.service === b.service && a.reuse === b.reuse && sameValue(a.options, b.options) &&
    sameValue(a.limits, b.limits);
}

/**
 * Tells whether a listener's faults may reset its connections
 * (`reset-after`): such a TCP listener is bound with node:net, whose
 * connections can send a reset, so a reload that adds or removes the fault
 * binds the listener anew.
 *
 * @param listener A listener.
 * @returns `true` for a TCP listener with `reset-after`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildPlan, needsReset } from "./plan.ts";
 *
 * const at = (text: string) =>
 *   buildPlan([{ text, source: { kind: "argument", index: 1 } }]).plan.listeners[0];
 * assert.ok(needsReset(at("tcp://127.0.0.1:7007=echo?reset-after=4KiB")));
 * assert.ok(!needsReset(at("tcp://127.0.0.1:7007=echo?close-after=4KiB")));
 * ```
 */
export function needsReset(listener: PlannedListener): boolean {
  const { faults } = listener;
  return faults?.transport === "tcp" && faults.tcp.resetAfter !== null;
}

/**
 * Tells whether two listeners have the same faults, as their specs write them.
 *
 * @param a A listener.
 * @param b Another.
 * @returns `true` when a reload leaves the faults as they are.
 */
export function sameFaults(a: PlannedListener, b: PlannedListener): boolean {
  return (a.faults?.text ?? "") === (b.faults?.text ?? "");
}

/** Deep equality of parsed option values: numbers, text, booleans, bytes, lists, records. */
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length &&
      a.every((byte, i) => byte === b[i]);
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  return keys.every((k) => sameValue(x[k], y[k]));
}
