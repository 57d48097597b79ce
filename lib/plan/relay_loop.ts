/**
 * Relays that relay to themselves: a `forward` whose upstream is its own
 * socket name, or one of a ring of muxd's own forwards, would pass each
 * datagram round the ring without end (each hop leaves from a new socket,
 * so it arrives as a new client), and each TCP connection would open
 * another until `max-conns`. Found in the plan, before anything is bound.
 *
 * Upstreams given as host names are resolved only when muxd runs; a UDP
 * ring through one is stopped there (see `RelayLineage`).
 *
 * @module
 */

import { formatIPv6, isLoopback, isWildcard, parseIPv6, unmappedIPv4 } from "../spec/ip.ts";
import { formatUpstream } from "../services/upstream.ts";
import { PlanError, type PlannedListener } from "./plan.ts";
import { upstreamOf } from "./upstream_exposure.ts";

/**
 * Finds the relays whose upstream leads back to themselves through muxd's
 * own listeners: one error for each such relay, naming the ring.
 *
 * Traffic sent to a socket name reaches the listener bound to exactly that
 * name or, failing one, a wildcard listener on its port, when the address
 * is this host's own (loopback, a wildcard, or one of `interfaces`). An
 * IPv4 address reaches a `[::]` listener too: Linux binds it dual-stack.
 *
 * @param listeners The planned listeners.
 * @param interfaces The host's addresses, as `Deno.networkInterfaces()` lists them.
 * @param report The listeners to report, when not all: those being added to
 *   a running server, whose listeners (with their ports as bound) come first in `listeners`.
 * @returns An error for each relay on a ring, in the listeners' order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildPlan } from "./plan.ts";
 * import { checkRelayLoops } from "./relay_loop.ts";
 *
 * const { plan } = buildPlan([{
 *   text: "udp://127.0.0.1:7253=forward?to=127.0.0.1:7253",
 *   source: { kind: "argument", index: 2 },
 * }]);
 * assert.match(checkRelayLoops(plan.listeners, [])[0].message, /is this listener itself/);
 * ```
 */
export function checkRelayLoops(
  listeners: readonly PlannedListener[],
  interfaces: readonly Deno.NetworkInterfaceInfo[],
  report: ReadonlySet<PlannedListener> | null = null,
): PlanError[] {
  const own = new Set(interfaces.map((row) => canonical(row.address)));
  const isOwn = (address: string) => isLoopback(address) || isWildcard(address) || own.has(address);
  // By transport and port, once: a plan may hold thousands of listeners (port ranges).
  const byPort = new Map<string, PlannedListener[]>();
  for (const l of listeners) {
    const key = `${l.transport} ${l.port}`;
    const on = byPort.get(key);
    if (on === undefined) byPort.set(key, [l]);
    else on.push(l);
  }
  const next = (l: PlannedListener): PlannedListener | null => {
    const to = upstreamOf(l);
    if (to === null || to.host.kind === "name") return null;
    const on = byPort.get(`${l.transport} ${to.port}`) ?? [];
    // ::ffff:127.0.0.1 is 127.0.0.1 on the wire.
    return receiver(on, unmappedIPv4(to.host.address), isOwn);
  };
  // Each relay leads to at most one listener: walk each path once, and a
  // path that meets itself closes a ring (linear in the listeners).
  const ringSize = new Map<PlannedListener, number>();
  const done = new Set<PlannedListener>();
  for (const first of listeners) {
    const path = new Map<PlannedListener, number>();
    let at: PlannedListener | null = first;
    while (at !== null && !done.has(at) && !path.has(at)) {
      path.set(at, path.size);
      at = next(at);
    }
    if (at !== null && path.has(at)) {
      const size = path.size - path.get(at)!;
      for (const [l, i] of path) if (i >= path.get(at)!) ringSize.set(l, size);
    }
    for (const l of path.keys()) done.add(l);
  }
  const errors: PlanError[] = [];
  for (const start of listeners) {
    const size = ringSize.get(start);
    if (size === undefined || (report !== null && !report.has(start))) continue;
    const to = formatUpstream(upstreamOf(start)!);
    const why = size === 1
      ? `its upstream ${to} is this listener itself`
      : size === 2
      ? `its upstream ${to} is muxd's own ${next(start)!.spec}, which relays back to this listener`
      : `its upstream ${to} is muxd's own ${next(start)!.spec}, whose relays lead back to this ` +
        `listener in ${size - 1} more steps`;
    const what = start.transport === "udp"
      ? "each datagram would go round without end"
      : "each connection would open another, up to max-conns";
    errors.push(
      new PlanError(start.spec, start.source, `${why}: ${what}. Forward to another server`),
    );
  }
  return errors;
}

/**
 * Which of the listeners on a port traffic to `address` reaches, or `null`
 * when none of them does.
 */
function receiver(
  on: readonly PlannedListener[],
  address: string,
  isOwn: (address: string) => boolean,
): PlannedListener | null {
  const exact = on.find((l) => l.hostname === address || boundAt(l) === address);
  if (exact !== undefined) return exact;
  if (!isOwn(address)) return null;
  const v6 = address.includes(":");
  return on.find((l) => !v6 && l.hostname === "0.0.0.0") ??
    on.find((l) => l.hostname === "::") ?? null;
}

/**
 * Where a listener named by a host name binds, when the plan can know it
 * without a lookup: `localhost`, which binds 127.0.0.1 (as Deno resolves
 * it, first address first); `null` for any other name.
 */
function boundAt(l: PlannedListener): string | null {
  return l.family === null && l.hostname.toLowerCase() === "localhost" ? "127.0.0.1" : null;
}

/** An interface's address in the form plans use (RFC 5952 for IPv6). */
function canonical(address: string): string {
  if (!address.includes(":")) return address;
  const bytes = parseIPv6(address);
  return bytes === null ? address : formatIPv6(bytes);
}
