/**
 * `check`'s note on each UDP listener on a wildcard address: which sockets
 * it binds, and why.
 *
 * @module
 */

import type { PlannedListener } from "../plan/plan.ts";
import { formatSocketName, isWildcard } from "../spec/mod.ts";
import type { Finding } from "./rules.ts";

/**
 * One note per UDP wildcard spec: bound one socket per address (the
 * default), naming the addresses and what is left out; or bound to the
 * wildcard itself (`?wildcard=kernel`), saying what that costs.
 *
 * @param listeners The planned listeners.
 * @returns The notes, in plan order, each about the first socket of its spec.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildPlan } from "../plan/mod.ts";
 * import { wildcardNotes } from "./wildcard_notes.ts";
 *
 * const { plan } = buildPlan([
 *   { text: "udp://0.0.0.0:7000=whoami?wildcard=kernel", source: { kind: "argument", index: 1 } },
 * ]);
 * const [note] = wildcardNotes(plan.listeners);
 * assert.equal(note.rule, "udp-wildcard");
 * assert.match(note.explanation, /IP_PKTINFO/);
 * ```
 */
export function wildcardNotes(listeners: readonly PlannedListener[]): Finding[] {
  const groups = new Map<string, PlannedListener[]>();
  for (const l of listeners) {
    if (l.transport !== "udp") continue;
    if (l.wildcard === null && !isWildcard(l.hostname)) continue;
    const key = `${l.origin} ${JSON.stringify(l.source)}`;
    groups.set(key, [...(groups.get(key) ?? []), l]);
  }
  return [...groups.values()].map((group) => {
    const [first] = group;
    // Addresses of the family that other listeners name on this port serve
    // themselves: the wildcard binds none of them.
    const own = first.wildcard === null || first.port === 0
      ? []
      : listeners.filter((o) =>
        o.transport === "udp" && o.port === first.port && o.wildcard === null &&
        o.family === (first.wildcard === "0.0.0.0" ? 4 : 6) && !isWildcard(o.hostname)
      );
    return {
      rule: "udp-wildcard",
      severity: "note",
      listeners: [first],
      ...(first.wildcard === null ? kernelTexts(first) : perAddressTexts(first, group, own)),
    };
  });
}

function perAddressTexts(
  first: PlannedListener,
  group: readonly PlannedListener[],
  own: readonly PlannedListener[],
): Pick<Finding, "explanation" | "fix"> {
  const names = group.map((l) => formatSocketName({ address: l.hostname, port: l.port }));
  const v4 = first.wildcard === "0.0.0.0";
  const left = own.length === 0
    ? ""
    : `It leaves ${own.map((o) => o.hostname).join(", ")} to ${
      own.map((o) => o.spec).join(", ")
    }, which ${own.length === 1 ? "names it" : "name them"} on the same port. `;
  return {
    explanation: `${first.origin} binds one UDP socket per IPv${v4 ? 4 : 6} address this host ` +
      `lists: ${names.join(", ")}. A reply then leaves from the address its datagram was sent ` +
      `to, so a client that called connect() accepts it, and whoami names that address; a ` +
      `socket on the wildcard replies from an address the kernel picks, and muxd cannot learn ` +
      `the address asked (Linux tells it with IP${v4 ? "" : "V6"}_PKTINFO, but Deno does not ` +
      `expose it). ` +
      left +
      (v4
        ? `Other 127.x addresses are local too but not listed, so 127.0.0.2 gets no answer. `
        : `Link-local addresses (fe80::/10) are left out: binding one needs a zone id. IPv4 ` +
          `datagrams, which a dual-stack [::] socket receives too, get no answer: add a ` +
          `udp://0.0.0.0:${first.port} listener for them. `) +
      `Addresses added later are bound at the next reload (SIGHUP).`,
    fix: `Nothing to fix. For ${
      v4 ? "127.0.0.2" : "a link-local address"
    }, add a listener of its own${
      v4 ? ` (udp://127.0.0.2:${first.port}=${first.service})` : ""
    }; for one socket on the wildcard, add ?wildcard=kernel.`,
  };
}

function kernelTexts(l: PlannedListener): Pick<Finding, "explanation" | "fix"> {
  return {
    explanation: `${l.origin} binds one socket on the wildcard (?wildcard=kernel): it receives ` +
      `datagrams sent to any address of this host, but each reply leaves from an address the ` +
      `kernel picks, which a client that called connect() drops when it differs from the address ` +
      `it asked; whoami says the local address is unknown, because Deno does not expose ` +
      `${l.hostname.includes(":") ? "IPV6_PKTINFO" : "IP_PKTINFO"}, which tells where a ` +
      `datagram was sent.`,
    fix: `Drop ?wildcard=kernel to bind one socket per address, or bind the addresses you need.`,
  };
}
