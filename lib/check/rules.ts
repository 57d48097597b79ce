/**
 * The rules by which the kernel decides whether a socket name can be bound,
 * each with a plain explanation and a fix. Linux's rules, in detail.
 *
 * @module
 */

import type { Holder } from "../holder/mod.ts";
import { answered, exposureReason, isExposed, PUBLIC_FIX } from "../plan/exposure.ts";
import type { PlannedListener } from "../plan/plan.ts";
import { formatSocketName, isLoopback, parseIPv6, unmappedIPv4 } from "../spec/mod.ts";
import { hasPrefix } from "../spec/ip.ts";
import { ADDRESSES_UNLISTED, type HostFacts } from "./host_facts.ts";
import { quote } from "../spec/listen_spec_error.ts";

/** The name of one rule. */
export type RuleId =
  | "same-socket-name"
  | "ipv4-wildcard"
  | "ipv6-wildcard"
  | "dual-stack-wildcard"
  | "privileged-port"
  | "address-not-local"
  | "link-local"
  | "ipv4-mapped"
  | "ephemeral-port"
  | "tcp-udp-separate"
  | "host-name"
  | "public-address"
  | "in-use"
  | "time-wait"
  | "udp-wildcard"
  | "open-files";

/** How bad a finding is: `error` means the bind would fail. */
export type Severity = "error" | "warning" | "note";

/** What a rule says about one listener, or a pair. */
export interface Finding {
  /** The rule that applies. */
  readonly rule: RuleId;
  /** `error`: the bind fails; `warning`: it may fail; `note`: a lesson, no problem. */
  readonly severity: Severity;
  /** The listener concerned, and for a conflict the one it conflicts with. */
  readonly listeners: readonly [PlannedListener] | readonly [PlannedListener, PlannedListener];
  /** The rule, in one or two plain sentences. */
  readonly explanation: string;
  /** What to do about it. */
  readonly fix: string;
  /** For `in-use` and `time-wait`: the sockets on this host that hold the name now. */
  readonly holders?: readonly Holder[];
}

const WILDCARD_4 = "0.0.0.0";
const WILDCARD_6 = "::";

/** `tcp 127.0.0.1:7007`, `udp [::1]:1060`. */
export function socketText(l: PlannedListener): string {
  return `${l.transport} ${formatSocketName({ address: l.hostname, port: l.port })}`;
}

/**
 * Which rule makes two listeners conflict, if any. Order does not matter.
 *
 * @param a One listener.
 * @param b Another listener.
 * @param facts The host facts (for `net.ipv6.bindv6only`).
 * @returns The rule, or `null` when both can be bound at once.
 */
export function conflictRule(
  a: PlannedListener,
  b: PlannedListener,
  facts: Pick<HostFacts, "bindV6Only">,
): RuleId | null {
  if (a.transport !== b.transport || a.port !== b.port || a.port === 0) return null;
  if (a.reuse && b.reuse) return null;
  return wireRule(onTheWire(a), onTheWire(b), facts);
}

/** {@linkcode conflictRule} for two listeners of one transport and port, as the kernel sees them. */
function wireRule(
  a: WireAddress,
  b: WireAddress,
  facts: Pick<HostFacts, "bindV6Only">,
): RuleId | null {
  if (a.family === null || b.family === null) {
    // Where a host name leads is known only when muxd binds it; but one name
    // twice leads to one place twice.
    const sameName = a.family === null && b.family === null &&
      a.hostname.toLowerCase() === b.hostname.toLowerCase();
    return sameName ? "same-socket-name" : null;
  }
  if (a.family === b.family && a.hostname === b.hostname) return "same-socket-name";
  if (a.family === 4 && b.family === 4) {
    return a.hostname === WILDCARD_4 || b.hostname === WILDCARD_4 ? "ipv4-wildcard" : null;
  }
  if (a.family === 6 && b.family === 6) {
    return a.hostname === WILDCARD_6 || b.hostname === WILDCARD_6 ? "ipv6-wildcard" : null;
  }
  const six = a.family === 6 ? a : b;
  return six.hostname === WILDCARD_6 && !facts.bindV6Only ? "dual-stack-wildcard" : null;
}

/** A listener's address as the kernel binds it: family and canonical text. */
interface WireAddress {
  readonly family: 4 | 6 | null;
  readonly hostname: string;
}

/**
 * The address the kernel binds for a listener: an IPv4-mapped IPv6 address
 * (`[::ffff:127.0.0.1]`) is bound as the IPv4 address it maps, on a socket
 * that takes IPv4, so it counts as that IPv4 address in every rule.
 */
function onTheWire(l: PlannedListener): WireAddress {
  if (l.family !== 6) return l;
  const ipv4 = unmappedIPv4(l.hostname);
  return ipv4 === l.hostname ? l : { family: 4, hostname: ipv4 };
}

/** The sentence that says what an IPv4-mapped address in a conflict stands for, or "". */
function mappedNote(...ls: PlannedListener[]): string {
  const mapped = ls.find((l) => onTheWire(l).family !== l.family);
  return mapped === undefined ? "" : ` ${mappedSentence(mapped)}`;
}

/** `[::ffff:127.0.0.1] is 127.0.0.1 written as an IPv4-mapped IPv6 address: ...` */
function mappedSentence(l: PlannedListener): string {
  return `[${l.hostname}] is ${onTheWire(l).hostname} written as an IPv4-mapped IPv6 address: ` +
    `a socket bound to it takes IPv4 traffic to ${onTheWire(l).hostname}, as an IPv4 socket does.`;
}

/**
 * The finding for a conflict between two listeners.
 *
 * @param rule The rule from {@linkcode conflictRule}.
 * @param a The listener that would fail (the later one).
 * @param b The listener it conflicts with.
 * @returns The finding, with explanation and fix.
 */
export function conflictFinding(rule: RuleId, a: PlannedListener, b: PlannedListener): Finding {
  const port = a.port;
  const share = `or add ?reuse=true to both specs: the kernel then lets them share the port and ` +
    `hands each arrival to the most specific socket`;
  const texts: Partial<Record<RuleId, [string, string]>> = {
    "same-socket-name": [
      `Both ask for ${socketText(a)}. A socket name (transport, address, port) can be held by ` +
      `only one socket at a time.`,
      `Remove one of them, or give one of them another port (${port < 32767 ? port + 1 : 7007}); ${
        a.transport === "tcp"
          ? "to share one port on purpose, add ?reuse=true to both."
          : "?reuse=true on both lets both bind, but the kernel does not split the datagrams: " +
            "the socket bound last takes every one, and the other gets none."
      }`,
    ],
    "ipv4-wildcard": [
      `0.0.0.0 means every IPv4 address of this host, so ${a.transport} 0.0.0.0:${port} already ` +
      `covers ${
        socketText(onTheWire(a).hostname === WILDCARD_4 ? b : a)
      }. Linux refuses the IPv4 wildcard ` +
      `and a specific IPv4 address on the same port, in either order.`,
      `Bind only the wildcard, or only specific addresses, ${share}.`,
    ],
    "ipv6-wildcard": [
      `[::] means every IPv6 address of this host, so ${a.transport} [::]:${port} already covers ` +
      `${socketText(a.hostname === WILDCARD_6 ? b : a)}.`,
      `Bind only the wildcard, or only specific addresses, ${share}.`,
    ],
    "dual-stack-wildcard": [
      `[::] is dual-stack on this host (net.ipv6.bindv6only = 0): it receives IPv4 traffic too, ` +
      `as ::ffff:a.b.c.d, so ${a.transport} [::]:${port} also covers ${
        socketText(onTheWire(a).family === 4 ? a : b)
      }.`,
      `Bind specific IPv6 addresses such as [::1] instead of [::]; or set ` +
      `net.ipv6.bindv6only=1 (sysctl) so that [::] takes IPv6 only; ${share}.`,
    ],
  };
  const [explanation, fix] = texts[rule] ?? [`${rule}`, ""];
  return {
    rule,
    severity: "error",
    listeners: [a, b],
    explanation: explanation + mappedNote(a, b),
    fix,
  };
}

/** Who gets an answer from an exposed listener, as a sentence; see {@linkcode answered}. */
function answeredSentence(l: PlannedListener): string {
  const who = answered(l);
  return who === "anyone who can reach this host" ? `${who} gets an answer.` : `it answers ${who}.`;
}

/**
 * The findings about one listener on its own: privileged ports, addresses
 * the host lacks, the ephemeral range, host names.
 *
 * @param l The listener.
 * @param facts The host facts.
 * @param allowPublic Whether `--public` was given.
 * @returns Zero or more findings.
 */
export function singleFindings(
  l: PlannedListener,
  facts: HostFacts,
  allowPublic = false,
): Finding[] {
  const out: Finding[] = [];
  if (isExposed(l)) {
    out.push({
      rule: "public-address",
      severity: allowPublic ? "warning" : "error",
      listeners: [l],
      explanation: `${exposureReason(l)}.` +
        (allowPublic ? ` --public allows it: ${answeredSentence(l)}` : ""),
      fix: allowPublic
        ? "Bind a loopback address such as 127.0.0.1 unless other hosts must reach it."
        : `Bind a loopback address such as 127.0.0.1; ${PUBLIC_FIX}.`,
    });
  }
  const at = socketText(l);
  if (l.port > 0 && l.port < facts.unprivilegedPortStart && !facts.canBindPrivileged) {
    const suggestion = l.port + 7000;
    out.push({
      rule: "privileged-port",
      severity: "error",
      listeners: [l],
      explanation: `Port ${l.port} is privileged: ports below ${facts.unprivilegedPortStart} ` +
        `(net.ipv4.ip_unprivileged_port_start) may be bound only by root or by a program with ` +
        `the CAP_NET_BIND_SERVICE capability.`,
      fix: `Use an unprivileged port such as ${suggestion}; or run muxd as root; or lower ` +
        `net.ipv4.ip_unprivileged_port_start with sysctl.`,
    });
  }
  if (l.family === null) {
    out.push({
      rule: "host-name",
      severity: "note",
      listeners: [l],
      explanation: `${quote(l.hostname)} is a host name: it is resolved when muxd binds, so the ` +
        `address rules are not checked for it.`,
      fix: `Write the address itself (such as 127.0.0.1) to have it checked.`,
    });
  } else if (isLinkLocal(l)) {
    out.push({
      rule: "link-local",
      severity: "error",
      listeners: [l],
      explanation: `${l.hostname} is a link-local address (fe80::/10): the same address may be ` +
        `on every interface, so binding it needs the interface too, as a zone id ` +
        `(${l.hostname}%eth0), which listen specs do not carry; the kernel refuses it without one ` +
        `("invalid argument").`,
      fix: `Bind a global or unique-local address of the interface, or [::] (with --public); ` +
        `a client on the link reaches those as well.`,
    });
  } else if (onTheWire(l).family !== l.family && facts.bindV6Only) {
    out.push({
      rule: "ipv4-mapped",
      severity: "error",
      listeners: [l],
      explanation: `[${l.hostname}] is ${onTheWire(l).hostname} written as an IPv4-mapped IPv6 ` +
        `address, which an IPv6 socket can bind only where it takes IPv4 too. On this host ` +
        `net.ipv6.bindv6only = 1: an IPv6 socket takes IPv6 only, so the kernel refuses the ` +
        `address ("invalid argument").`,
      fix: `Bind ${onTheWire(l).hostname} itself.`,
    });
  } else if (!isLocal(l, facts)) {
    out.push({
      rule: "address-not-local",
      severity: "error",
      listeners: [l],
      explanation: `${l.hostname} is not an address of this host, and a socket can be bound ` +
        `only to one of the host's own addresses or to the wildcard.`,
      fix: addressFix(l, facts),
    });
  }
  const { first, last } = facts.ephemeralPorts;
  if (l.port >= first && l.port <= last) {
    out.push({
      rule: "ephemeral-port",
      severity: "warning",
      listeners: [l],
      explanation: `Port ${l.port} is inside this host's ephemeral port range ${first}-${last} ` +
        `(net.ipv4.ip_local_port_range): the kernel hands these ports to outgoing connections, ` +
        `so any client on this host may be holding ${at} at any moment.`,
      fix: `Use a port below ${first}, such as ${
        l.port % 10000 + 7000 < first ? l.port % 10000 + 7000 : 7007
      }.`,
    });
  }
  return out;
}

/**
 * The note for a TCP and a UDP listener on the same address and port.
 *
 * @param tcp The TCP listener.
 * @param udp The UDP listener.
 * @returns The note.
 */
export function separateTransportsNote(tcp: PlannedListener, udp: PlannedListener): Finding {
  return {
    rule: "tcp-udp-separate",
    severity: "note",
    listeners: [tcp, udp],
    explanation: `${socketText(tcp)} and ${socketText(udp)} share a port number but not a socket ` +
      `name: TCP and UDP have separate port spaces, so they never conflict.`,
    fix: "Nothing to fix.",
  };
}

/** fe80::/10. */
const LINK_LOCAL = new Uint8Array([0xfe, 0x80, ...new Uint8Array(14)]);

function isLinkLocal(l: PlannedListener): boolean {
  const bytes = l.family === 6 ? parseIPv6(l.hostname) : null;
  return bytes !== null && hasPrefix(bytes, LINK_LOCAL, 10);
}

function isLocal(listener: PlannedListener, facts: HostFacts): boolean {
  const l = onTheWire(listener);
  if (l.hostname === WILDCARD_4 || l.hostname === WILDCARD_6) return true;
  // On Linux all of 127.0.0.0/8 is on the loopback interface, while it is up.
  if (facts.os === "linux" && l.family === 4 && isLoopback(l.hostname)) return !loopbackDown(facts);
  return facts.addresses.includes(l.hostname);
}

/**
 * Whether Linux's `lo` is down without an address, as in a new network
 * namespace (it gets 127.0.0.1/8 when it first comes up): the host's
 * addresses were listed, there are some, and none is an IPv4 loopback
 * address. The kernel then refuses to bind 127.x; with no address at all,
 * it binds them (nothing can connect). Addresses that could not be listed
 * prove nothing.
 */
function loopbackDown(facts: HostFacts): boolean {
  return !facts.assumed.some((a) => a.startsWith(ADDRESSES_UNLISTED)) &&
    facts.addresses.length > 0 &&
    !facts.addresses.some((a) => !a.includes(":") && isLoopback(a));
}

function addressFix(listener: PlannedListener, facts: HostFacts): string {
  const l = onTheWire(listener);
  if (l.family === 4 && isLoopback(l.hostname) && facts.os === "linux" && loopbackDown(facts)) {
    return "The loopback interface lo is down, so no 127.x address is on it (a new network " +
      "namespace starts with lo down): sudo ip link set lo up (from outside the namespace: " +
      "sudo ip -n NAMESPACE link set lo up)";
  }
  if (l.family === 4 && isLoopback(l.hostname)) {
    return facts.os === "darwin"
      ? `Add it to the loopback interface: sudo ifconfig lo0 alias ${l.hostname}`
      : `Add it to the loopback interface: sudo ip addr add ${l.hostname}/8 dev lo`;
  }
  if (l.hostname === "::1") {
    return `IPv6 is off on this host (there is no ::1); bind 127.0.0.1 instead, or enable IPv6 ` +
      `(sysctl net.ipv6.conf.lo.disable_ipv6=0).`;
  }
  const own = facts.addresses.filter((a) => !a.startsWith("fe80:")).slice(0, 6).join(", ");
  const iface = facts.interfaces.find((i) => i.name !== "lo")?.name ?? "IFACE";
  return `Bind one of this host's addresses (${own || "none found"}), or the wildcard; or add ` +
    `the address: sudo ip addr add ${l.hostname}/${l.family === 4 ? 24 : 64} dev ${iface}`;
}
