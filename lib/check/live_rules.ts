/**
 * The rules for sockets that already exist: what a socket another program
 * holds now does to a planned listener's bind, by Linux's rules, and the
 * finding `check` reports for it.
 *
 * What `ss` cannot show decides some of it: whether the other socket set
 * `SO_REUSEADDR` or `SO_REUSEPORT`. Deno sets `SO_REUSEADDR` on every TCP
 * listener (and `SO_REUSEPORT` too with `?reuse=true`), never on a UDP
 * socket unless `?reuse=true` asks. With that, Linux lets muxd bind beside
 * an existing socket on a conflicting address only when:
 *
 * - TCP: the other socket is not listening and set `SO_REUSEADDR` too (a
 *   server's accepted connections and their TIME-WAIT inherit it from the
 *   listener; a client's connection seldom has it); or both set
 *   `SO_REUSEPORT` and belong to the same user.
 * - UDP: both set `SO_REUSEADDR`, which muxd does only with `?reuse=true`.
 *
 * @module
 */

import { describeHolders, describeProcess, type Holder } from "../holder/mod.ts";
import type { PlannedListener } from "../plan/plan.ts";
import { formatSocketName, unmappedIPv4 } from "../spec/mod.ts";
import type { HostFacts } from "./host_facts.ts";
import { type Finding, socketText } from "./rules.ts";

/**
 * What one existing socket does to a planned bind:
 *
 * - `blocks`: the bind fails.
 * - `may-share`: the plan asks `?reuse=true`; the bind works only if the
 *   other socket set the same option, which `ss` cannot show.
 * - `may-block`: a TCP socket that is not listening and looks like a
 *   server's accepted connection: it blocks only if that server did not set
 *   `SO_REUSEADDR`, which `ss` cannot show; or the plan names a host, whose
 *   address is known only when muxd binds.
 * - `closed`: a TCP connection its program has closed (TIME-WAIT), left by
 *   a server: it inherited `SO_REUSEADDR` from its listener, and does not
 *   block muxd's listener, which sets it too.
 */
export type HolderEffect = "blocks" | "may-share" | "may-block" | "closed";

/**
 * Tells what an existing socket does to a planned listener that conflicts
 * with it by address (as {@linkcode findHolders} picks them).
 *
 * A TCP connection whose local port is in the ephemeral range and whose
 * peer's port is not looks like a client's outgoing connection, which
 * seldom sets `SO_REUSEADDR`: it blocks, open or in TIME-WAIT. Any other
 * connection looks like one a server accepted on that port.
 *
 * @param l The planned listener.
 * @param holder A socket on its port whose address conflicts with it.
 * @param facts The host facts (the ephemeral port range).
 * @returns The effect.
 *
 * @example A listening socket blocks, unless both ask to share
 * ```ts
 * import { holderEffect } from "./live_rules.ts";
 * import { buildPlan } from "../plan/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const facts = { ephemeralPorts: { first: 32768, last: 60999 } };
 * const { plan } = buildPlan([
 *   { text: "tcp://127.0.0.1:7777=echo", source: { kind: "argument", index: 2 } },
 *   { text: "tcp://127.0.0.1:7777=echo?reuse=true", source: { kind: "argument", index: 4 } },
 * ]);
 * const holder = {
 *   transport: "tcp", local: { address: "127.0.0.1", port: 7777 }, remote: null,
 *   state: "LISTEN", kind: "listening", uid: 0, inode: 1, process: { pid: 9, name: "nc" },
 * } as const;
 * assert.equal(holderEffect(plan.listeners[0], holder, facts), "blocks");
 * assert.equal(holderEffect(plan.listeners[1], holder, facts), "may-share");
 * ```
 */
export function holderEffect(
  l: PlannedListener,
  holder: Holder,
  facts: Pick<HostFacts, "ephemeralPorts" | "uid">,
): HolderEffect {
  const effect = tcpOrUdpEffect(l, holder, facts);
  return l.family === null && effect === "blocks" ? "may-block" : effect;
}

function tcpOrUdpEffect(
  l: PlannedListener,
  holder: Holder,
  facts: Pick<HostFacts, "ephemeralPorts" | "uid">,
): HolderEffect {
  if (l.transport === "udp" || holder.kind === "listening") {
    return l.reuse && !otherUsers(l, holder, facts) ? "may-share" : "blocks";
  }
  if (isOutgoing(holder, facts)) return "blocks";
  const closedByItsProgram = holder.process === null && holder.inode === 0 &&
    holder.state !== "SYN-RECV";
  return closedByItsProgram ? "closed" : "may-block";
}

/**
 * A TCP listener of another user: SO_REUSEPORT shares a port only between
 * sockets of one user, so `?reuse=true` cannot share it.
 */
function otherUsers(
  l: PlannedListener,
  holder: Holder,
  facts: Pick<HostFacts, "uid">,
): boolean {
  return l.transport === "tcp" && facts.uid !== undefined && facts.uid !== null &&
    holder.uid !== facts.uid;
}

/** A TCP connection from an ephemeral port to a port outside that range: a client's. */
function isOutgoing(holder: Holder, facts: Pick<HostFacts, "ephemeralPorts">): boolean {
  const { first, last } = facts.ephemeralPorts;
  const ephemeral = (port: number) => port >= first && port <= last;
  return holder.remote !== null && ephemeral(holder.local.port) && !ephemeral(holder.remote.port);
}

/**
 * The finding for a planned listener from the sockets that hold its name
 * now: `in-use` as an error when one of them blocks the bind, as a warning
 * when one may; else a `time-wait` warning when only closed connections are
 * left; else none.
 *
 * @param l The planned listener.
 * @param holders The sockets on its port whose address conflicts with it.
 * @param facts The host facts.
 * @returns The finding, or `null` when nothing holds the name.
 */
export function liveFinding(
  l: PlannedListener,
  holders: readonly Holder[],
  facts: Pick<HostFacts, "ephemeralPorts" | "bindV6Only" | "uid">,
): Finding | null {
  const effects = holders.map((h) => ({ h, effect: holderEffect(l, h, facts) }));
  const pick = (...wanted: HolderEffect[]) =>
    effects.filter((e) => wanted.includes(e.effect)).map((e) => e.h);
  const blocking = pick("blocks");
  if (blocking.length > 0) return inUse(l, blocking, "error", facts);
  const maybe = pick("may-share", "may-block");
  if (maybe.length > 0) return inUse(l, maybe, "warning", facts);
  const closed = pick("closed");
  return closed.length > 0 ? timeWaitWarning(l, closed) : null;
}

/** The `in-use` finding, explained from the first of the holders. */
function inUse(
  l: PlannedListener,
  holders: readonly Holder[],
  severity: "error" | "warning",
  facts: Pick<HostFacts, "ephemeralPorts" | "bindV6Only" | "uid">,
): Finding {
  const [h] = holders;
  const effect = holderEffect(l, h, facts);
  const who = owner(h);
  const stop = h.process === null ? "Stop the program that holds it" : `Stop ${who}`;
  // The user is known where muxd may read its own uid (a listener of
  // another user blocks: otherUsers()).
  const share = l.transport === "udp"
    ? "SO_REUSEADDR too"
    : facts.uid === undefined || facts.uid === null
    ? "SO_REUSEPORT too and runs as the same user"
    : "SO_REUSEPORT too";
  const covers = effect === "may-share" && unmappedIPv4(h.local.address) === l.hostname
    ? ""
    : coverage(l, h, facts);
  let explanation = `${subject(h)}${covers}.`;
  let fix = `${stop}, or choose another port.`;
  if (l.reuse && effect === "blocks" && otherUsers(l, h, facts)) {
    explanation += ` ?reuse=true shares a TCP port only between sockets of one user ` +
      `(SO_REUSEPORT), and this one is uid ${h.uid}'s, where muxd runs as uid ${facts.uid}.`;
  } else if (effect === "may-share") {
    explanation += ` With ?reuse=true the kernel lets muxd share the port only if that socket ` +
      `set ${share}, which ss cannot show (nc sets it; most servers do not).`;
    fix = `${stop}, or choose another port; ${sharedDelivery(l, h)}`;
  } else if (effect === "may-block" && l.family !== null) {
    explanation += ` It is a connection, not a listening socket: most likely one that a server ` +
      `accepted on this port and still has open. It blocks muxd unless that server set ` +
      `SO_REUSEADDR on its listening socket, as most do (Deno, Node, nginx, nc, Python's ` +
      `http.server); ss cannot show whether it did.`;
    fix = `Wait for the connection to end, or ${stop.toLowerCase()}; or choose another port.`;
  } else if (h.kind !== "listening" && h.transport === "tcp" && l.family !== null) {
    const { first, last } = facts.ephemeralPorts;
    explanation += ` Port ${h.local.port} is in the ephemeral range ${first}-${last}, from ` +
      `which the kernel gives ports to outgoing connections: this is a client's. A connection ` +
      `blocks a listener on its name unless it set SO_REUSEADDR, which clients seldom do, ` +
      `until it closes and for about 60 s after (TIME-WAIT).`;
    fix = `Choose a port below ${first}, such as 7007; or wait for the connection to close ` +
      `and a minute more.`;
  } else if (h.transport === "udp" && severity === "error") {
    explanation += ` A UDP socket holds its name as long as it is open; two share one only ` +
      `when both set SO_REUSEADDR (?reuse=true in muxd).`;
  }
  return { rule: "in-use", severity, listeners: [l], explanation, fix, holders };
}

/**
 * Who gets the arrivals once the port is shared, as Linux decides: TCP
 * connections are spread over the sockets (SO_REUSEPORT); a UDP datagram
 * goes to the most specific address, and of two sockets on one name
 * (SO_REUSEADDR) the one bound last takes every datagram.
 */
function sharedDelivery(l: PlannedListener, h: Holder): string {
  if (l.transport === "tcp") {
    return "if it does share, the kernel splits the connections between the two.";
  }
  const held = unmappedIPv4(h.local.address);
  if (held === l.hostname) {
    return `if it does share, the kernel does not split the datagrams: muxd's socket, bound ` +
      `last, takes every datagram sent to ${socketText(l)}, and the other socket gets none ` +
      `while muxd's is open.`;
  }
  return "if it does share, the kernel gives each datagram to the socket whose address " +
    "matches it most specifically.";
}

/** The note for a name that only closed connections hold. */
function timeWaitWarning(l: PlannedListener, holders: readonly Holder[]): Finding {
  const n = holders.length;
  return {
    rule: "time-wait",
    // ss cannot show whether they came from a listener with SO_REUSEADDR,
    // which decides: so "may", never "would bind" (a plain Python socket
    // server leaves connections that block).
    severity: "warning",
    listeners: [l],
    explanation:
      `Only ${n === 1 ? "a connection" : `${n} connections`} that ${
        n === 1 ? "its program has" : "their programs have"
      } closed ${n === 1 ? "is" : "are"} left on ${socketText(l)}: the kernel keeps a closed ` +
      `connection for about 60 s (TIME-WAIT) to catch its late packets, and no process owns it. ` +
      `Deno sets SO_REUSEADDR on every TCP listener, and Linux lets such a listener bind beside ` +
      `closed connections that have it too, which a server's inherit from its listener (Deno, ` +
      `Node, nginx, nc and Python's http.server set it); a program that never set it (a plain ` +
      `Python socket server) leaves connections that block the bind for those 60 s. Which ` +
      `kind these are, ss cannot show.`,
    fix: "If muxd serve fails on it, wait about 60 s, until the kernel forgets them, or choose " +
      "another port.",
    holders,
  };
}

/**
 * `process 24024 (nc)`, `process 5290 (muxd, run by deno)`, or `another
 * program` when `ss` does not name one.
 */
function owner(h: Holder): string {
  return h.process === null ? "another program" : describeProcess(h.process);
}

/** Who holds the name and how, as the start of a sentence. */
function subject(h: Holder): string {
  const name = `${h.transport} ${formatSocketName(h.local)}`;
  const peer = h.remote === null ? "" : formatSocketName(h.remote);
  if (h.process === null && h.inode === 0) {
    return `A connection ${name} -> ${peer} that its program has closed is left in ${h.state}`;
  }
  const who = capitalize(owner(h));
  if (h.kind === "listening") return `${who} listens on ${name}`;
  if (h.remote === null) return `${who} holds ${name}`;
  return h.transport === "udp"
    ? `${who} holds ${name}, connected to ${peer}`
    : `${who} has a connection ${name} -> ${peer} (${h.state})`;
}

/**
 * Why the holder's address covers the planned one: the same name, a
 * wildcard on either side, a dual-stack `[::]`, or a host name.
 */
function coverage(
  l: PlannedListener,
  h: Holder,
  facts: Pick<HostFacts, "bindV6Only">,
): string {
  if (l.family === null) {
    return `; ${l.hostname} is a host name, resolved when muxd binds: this blocks it if it ` +
      `resolves to an address that socket covers`;
  }
  const held = unmappedIPv4(h.local.address);
  const heldFamily = held.includes(":") ? 6 : 4;
  if (held === l.hostname) {
    return h.kind === "listening" || h.transport === "udp"
      ? `, and a socket name can be held by only one socket at a time`
      : "";
  }
  const rule = `: Linux refuses a wildcard and an address it covers on the same port`;
  if (held === "0.0.0.0") {
    return `, and 0.0.0.0 covers every IPv4 address of this host, ${l.hostname} among them${rule}`;
  }
  if (held === "::") {
    return l.family === 6
      ? `, and [::] covers every IPv6 address of this host, ${l.hostname} among them${rule}`
      : `, a dual-stack socket: it covers every IPv4 address of this host too, ` +
        `${l.hostname} among them${rule}`;
  }
  if (l.hostname === "0.0.0.0") {
    return `; 0.0.0.0 covers every IPv4 address of this host, ${held} among them${rule}`;
  }
  if (heldFamily === 6) {
    return `; [::] covers every IPv6 address of this host, ${held} among them${rule}`;
  }
  return `; [::] is dual-stack on this host (net.ipv6.bindv6only = ${
    facts.bindV6Only ? 1 : 0
  }): it covers every IPv4 address too, ${held} among them${rule}`;
}

function capitalize(text: string): string {
  return text[0].toUpperCase() + text.slice(1);
}

/** The "held by …" line for a finding's holders. */
export function heldByText(l: PlannedListener, holders: readonly Holder[]): string {
  return describeHolders({ supported: true, holders }, {
    transport: l.transport,
    address: l.hostname,
    port: l.port,
  });
}
