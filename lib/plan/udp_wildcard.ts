/**
 * UDP wildcards, bound one socket per local address. A reply from a socket
 * bound to `0.0.0.0` or `[::]` leaves from whichever address the kernel
 * picks, not necessarily the one the datagram was sent to, and a client
 * that called `connect()` drops it. Linux can tell a program where each
 * datagram was sent (IP_PKTINFO), but Deno does not expose it; so, as DNS
 * servers do, muxd binds each local address of the wildcard's family
 * instead: each reply then leaves from the address that was asked, and
 * whoami can name it. The `wildcard=kernel` option keeps one true wildcard
 * socket instead.
 *
 * @module
 */

import { oneOf } from "../services/options.ts";
import { formatIPv6, type Host, isWildcard, parseIPv6, quote } from "../spec/mod.ts";
import type { ListenSpec } from "../spec/types.ts";
import type { PlannedListener } from "./plan.ts";

/**
 * How a UDP listener on a wildcard address binds: `per-address`, one socket
 * per local address of its family; `kernel`, one socket on the wildcard.
 */
export type WildcardMode = "per-address" | "kernel";

/** The spec option that chooses a UDP wildcard's {@linkcode WildcardMode}. */
export const WILDCARD_OPTION = {
  key: "wildcard",
  field: "wildcard",
  description: "UDP on 0.0.0.0 or [::]: per-address binds one socket per local address of the " +
    "family (as the interfaces list them when muxd starts or reloads), so each reply leaves " +
    "from the address the datagram was sent to; kernel binds the wildcard itself, and the " +
    "kernel picks each reply's source address.",
  default: "per-address",
  parse: oneOf<WildcardMode>(["per-address", "kernel"]),
} as const;

/** An address to bind for a spec. */
export interface WildcardAddress {
  /** The address, IPv6 in its canonical form. */
  readonly hostname: string;
  /** Its family. */
  readonly family: 4 | 6;
}

/**
 * The addresses a UDP wildcard spec binds, one socket each; `null` when the
 * spec is not a UDP wildcard bound per address (it binds as it is); or what
 * is wrong, as text.
 *
 * IPv6 link-local addresses (`fe80::/10`) are skipped: binding one needs a
 * zone id, which socket names in specs, tables and events do not carry.
 * Only the addresses the interfaces list are bound: on Linux every address
 * of 127.0.0.0/8 is local, but only 127.0.0.1 is listed, so 127.0.0.2 needs
 * a listener of its own.
 *
 * @param spec The parsed spec.
 * @param mode The spec's `wildcard` option.
 * @param interfaces The host's interfaces, as `Deno.networkInterfaces()` lists them.
 * @returns The addresses, `null`, or the reason the spec cannot be used.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseListenSpec } from "../spec/mod.ts";
 * import { wildcardAddresses } from "./udp_wildcard.ts";
 *
 * const spec = parseListenSpec("udp://0.0.0.0:7000=echo", { kind: "argument", index: 1 });
 * const lo: Deno.NetworkInterfaceInfo = {
 *   family: "IPv4", name: "lo", address: "127.0.0.1", netmask: "255.0.0.0",
 *   scopeid: null, cidr: "127.0.0.1/8", mac: "00:00:00:00:00:00",
 * };
 * assert.deepEqual(wildcardAddresses(spec, "per-address", [lo]), [
 *   { hostname: "127.0.0.1", family: 4 },
 * ]);
 * assert.equal(wildcardAddresses(spec, "kernel", [lo]), null);
 * ```
 */
export function wildcardAddresses(
  spec: ListenSpec,
  mode: WildcardMode,
  interfaces: readonly Deno.NetworkInterfaceInfo[],
): WildcardAddress[] | null | string {
  const wildcard = wildcardOf(spec.host);
  if (wildcard === null) {
    return WILDCARD_OPTION.key in spec.options
      ? `option wildcard applies only to a wildcard address (0.0.0.0 or [::])`
      : null;
  }
  if (spec.transport === "tcp") {
    return WILDCARD_OPTION.key in spec.options
      ? `option wildcard is for UDP only: a TCP connection always knows its local address`
      : null;
  }
  if (mode === "kernel") return null;
  const family = wildcard === "0.0.0.0" ? 4 : 6;
  const seen = new Set<string>();
  const out: WildcardAddress[] = [];
  for (const i of interfaces) {
    if (i.family !== (family === 4 ? "IPv4" : "IPv6") || isLinkLocal6(i.address)) continue;
    const hostname = family === 6 ? formatIPv6(parseIPv6(i.address)!) : i.address;
    if (seen.has(hostname)) continue;
    seen.add(hostname);
    out.push({ hostname, family });
  }
  if (out.length === 0) {
    return `this host lists no IPv${family} address to bind one UDP socket per address; ` +
      `add ?wildcard=kernel to bind the wildcard ${quote(wildcard)} itself`;
  }
  return out;
}

/**
 * Drops the sockets of a per-address wildcard whose socket name another
 * listener names itself: the more specific listener serves that address,
 * as the kernel would choose it over a wildcard.
 *
 * @param listeners The planned listeners, in order.
 * @returns The same listeners, less those.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildPlan } from "./plan.ts";
 * import { dropCoveredAddresses } from "./udp_wildcard.ts";
 *
 * const lo: Deno.NetworkInterfaceInfo = {
 *   family: "IPv4", name: "lo", address: "127.0.0.1", netmask: "255.0.0.0",
 *   scopeid: null, cidr: "127.0.0.1/8", mac: "00:00:00:00:00:00",
 * };
 * const { plan } = buildPlan([
 *   { text: "udp://0.0.0.0:7000=echo", source: { kind: "argument", index: 1 } },
 *   { text: "udp://127.0.0.1:7000=whoami", source: { kind: "argument", index: 2 } },
 * ], { interfaces: [lo] });
 * assert.deepEqual(plan.listeners.map((l) => l.spec), ["udp://127.0.0.1:7000=whoami"]);
 * ```
 */
export function dropCoveredAddresses(listeners: readonly PlannedListener[]): PlannedListener[] {
  const named = new Set(
    listeners.filter((l) => l.wildcard === null && l.port !== 0).map(socketKey),
  );
  return listeners.filter((l) => l.wildcard === null || !named.has(socketKey(l)));
}

/**
 * The key that ties the sockets of one per-address wildcard listener
 * together, so that with port 0 they all share the port the OS picks for
 * the first; `null` for any other listener.
 *
 * @param l A planned listener.
 * @returns The key, or `null`.
 */
export function wildcardGroup(l: PlannedListener): string | null {
  if (l.wildcard === null) return null;
  return `${l.origin} ${JSON.stringify(l.source)}`;
}

function socketKey(l: PlannedListener): string {
  return `${l.transport} ${l.hostname} ${l.port}`;
}

/** `0.0.0.0` or `::` for a wildcard host, else `null`. */
function wildcardOf(host: Host): "0.0.0.0" | "::" | null {
  if (host.kind === "ipv4" && isWildcard(host.address)) return "0.0.0.0";
  if (host.kind === "ipv6" && isWildcard(host.address)) return "::";
  return null;
}

function isLinkLocal6(address: string): boolean {
  const bytes = parseIPv6(address);
  return bytes !== null && bytes[0] === 0xfe && (bytes[1] & 0xc0) === 0x80;
}
