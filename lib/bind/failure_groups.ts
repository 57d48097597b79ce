/**
 * Bind failures told together: the listeners of one spec (a port range, an
 * interface) that failed for the same reason make one line that names every
 * port, not one line each. 768 ports of a range that met the open-files
 * limit read as one line, not as 768 identical ones.
 *
 * @module
 */

import type { PlannedListener } from "../plan/plan.ts";
import type { Transport } from "../spec/types.ts";
import { formatSocketName } from "../spec/socket_name.ts";
import { formatSource } from "../spec/source.ts";
import { formatPortList } from "../spec/port_range.ts";
import { bindFailureText } from "./bind_error.ts";

/** A listener that could not be bound, and why: a `BindError` has both. */
export interface ExplainedFailure {
  /** The listener that failed. */
  readonly listener: PlannedListener;
  /** Why, in plain words, without the spec. */
  readonly reason: string;
}

/**
 * Sorts failures into groups: the failures of one spec, on one address,
 * for the same reason, in the order their first one came. Reasons that
 * differ only in naming each failure's own port are the same reason (the
 * ports of a range that one program holds: "another socket holds tcp
 * 127.0.0.1:9000 ... held by ... 127.0.0.1:9000 of process 42"). A
 * listener on port 0 is a group of its own.
 *
 * @param failures The failures, in the order they were met.
 * @returns Each group with its failures in order; every failure is in exactly one.
 */
export function groupBindFailures<F extends ExplainedFailure>(
  failures: readonly F[],
): F[][] {
  const groups = Map.groupBy(
    failures,
    ({ listener: l, reason }, i) =>
      failureGroupKey(
        l.transport,
        l.hostname,
        l.port,
        `${l.origin}, ${formatSource(l.source)}`,
        reason,
      ) ??
        `${i}`,
  );
  return [...groups.values()];
}

/**
 * What the failures of one group share, as a key: the transport, address
 * and spec (as written, and where), and the reason but for its own port;
 * `null` for a port the OS was to pick, a spec of its own, never a port of
 * a range.
 */
export function failureGroupKey(
  transport: Transport,
  address: string,
  port: number,
  origin: string,
  reason: string,
): string | null {
  return port === 0
    ? null
    : JSON.stringify([transport, address, origin, reasonShape(reason, port)]);
}

/**
 * The words for a group of failures from {@linkcode groupBindFailures}: for
 * one, {@linkcode bindFailureText}'s; for more, one line that names the
 * address, counts the ports and lists every one of them, runs of
 * consecutive ports as `first-last`.
 *
 * @param group Failures of one spec, on one address, for one reason.
 * @param withSource Name where the spec came from (a config file's line). @default false
 * @returns Such as `Cannot bind tcp 127.0.0.1 on 768 ports, 27232-27999 (of tcp://127.0.0.1:27000-27999=echo): too many open files: …`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildPlan } from "../plan/plan.ts";
 * import { bindFailuresText } from "./failure_groups.ts";
 *
 * const { plan } = buildPlan([{ text: "tcp://127.0.0.1:9000-9005=echo", source: { kind: "argument", index: 2 } }]);
 * const [a, b, , d] = plan.listeners.map((listener) => ({ listener, reason: "too many open files" }));
 * assert.equal(
 *   bindFailuresText([a, b, d]),
 *   "Cannot bind tcp 127.0.0.1 on 3 ports, 9000-9001 and 9003 " +
 *     "(of tcp://127.0.0.1:9000-9005=echo): too many open files",
 * );
 * ```
 */
export function bindFailuresText(
  group: readonly ExplainedFailure[],
  withSource = false,
): string {
  const first = group[0];
  if (group.length === 1) return bindFailureText(first.listener, first.reason, withSource);
  return `Cannot bind ${failedPortsText(group, withSource)}: ${groupReason(group)}`;
}

/**
 * The reason of a group of failures from {@linkcode groupBindFailures}: the
 * first one's, each mention of its own port naming every port of the group.
 *
 * @param group Failures of one spec, on one address, for one reason.
 * @returns Such as `address already in use: another socket holds tcp 127.0.0.1:9000-9009, …`.
 */
export function groupReason(group: readonly ExplainedFailure[]): string {
  const first = group[0];
  if (group.length === 1) return first.reason;
  return reasonForPorts(first.reason, first.listener.port, group.map((f) => f.listener.port));
}

/** A port as a reason names its own: after a socket name's `:` or the word "port". */
function ownPort(port: number): RegExp {
  return new RegExp(`(?<=[0-9A-Za-z\\]]:|\\bport )${port}(?![0-9])`, "g");
}

/**
 * A failure's reason with its own port left out, for telling whether two
 * failures of one spec failed for the same reason.
 *
 * @param reason Why it failed, in plain words.
 * @param port The port it failed on.
 * @returns The reason with each mention of that port as `PORT`, and a
 *   fix's "another port (N)", which proposes the next port, as "other ports".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reasonShape } from "./failure_groups.ts";
 *
 * assert.equal(
 *   reasonShape("another socket holds tcp 127.0.0.1:9001; held by process 9001 (python3)", 9001),
 *   "another socket holds tcp 127.0.0.1:PORT; held by process 9001 (python3)",
 * );
 * ```
 */
export function reasonShape(reason: string, port: number): string {
  return port === 0
    ? reason
    : reason.replace(ownPort(port), "PORT").replace(OTHER_PORT, "other ports");
}

/** The port a fix proposes in the place of a failure's own: the next one, which differs for each. */
const OTHER_PORT = /another port \(\d+\)/g;

/**
 * A failure's reason said of every port of its group: each mention of its
 * own port names them all, runs of consecutive ports as `first-last`, and
 * a fix's "another port (N)" reads "other ports".
 *
 * @param reason The reason of one failure of the group.
 * @param port The port that failure was on.
 * @param ports Every port of the group.
 * @returns Such as `held by a listening socket tcp 127.0.0.1:9000-9009 of process 42 (python3)`.
 */
export function reasonForPorts(reason: string, port: number, ports: readonly number[]): string {
  if (port === 0) return reason;
  return reason.replace(ownPort(port), formatPortList(ports)).replace(OTHER_PORT, "other ports");
}

/**
 * What a group of more than one failure from {@linkcode groupBindFailures}
 * tried to bind: the transport, the address, how many ports and every one
 * of them, and the spec they came from.
 *
 * @param group Failures of one spec, on one address, for one reason.
 * @param withSource Name where the spec came from (a config file's line). @default false
 * @returns Such as `tcp 127.0.0.1 on 768 ports, 27232-27999 (of tcp://127.0.0.1:27000-27999=echo)`.
 */
export function failedPortsText(group: readonly ExplainedFailure[], withSource = false): string {
  const l = group[0].listener;
  const where = withSource ? `, ${formatSource(l.source)}` : "";
  const ports = group.map((f) => f.listener.port);
  return failedPortsWords(l.transport, l.hostname, ports, `${l.origin}${where}`);
}

/**
 * The words of {@linkcode failedPortsText}, from the parts: for a group of
 * `bind-failed` events, which carry no planned listener.
 *
 * The same spec written twice (`-l X -l X`, or a config line repeated)
 * fails on one port more than once: the ports are counted once each, and
 * the listeners are counted beside them.
 *
 * @param transport `tcp` or `udp`.
 * @param hostname The address or host name, without brackets.
 * @param ports The port of each failure, more than one.
 * @param origin The spec they came from, and where it is if that is to be said.
 * @returns Such as `udp [::1] on 3 ports, 9000-9002 (of udp://[::1]:9000-9002=echo)`, or
 *   `tcp 127.0.0.1:9000, for 2 listeners (of tcp://127.0.0.1:9000=echo)`.
 */
export function failedPortsWords(
  transport: Transport,
  hostname: string,
  ports: readonly number[],
  origin: string,
): string {
  const distinct = new Set(ports).size;
  const listeners = distinct < ports.length ? `, for ${ports.length} listeners` : "";
  if (distinct === 1) {
    return `${transport} ${
      formatSocketName({ address: hostname, port: ports[0] })
    }${listeners} (of ${origin})`;
  }
  const address = formatSocketName({ address: hostname, port: 0 }).replace(/:0$/, "");
  return `${transport} ${address} on ${distinct} ports, ${
    formatPortList(ports)
  }${listeners} (of ${origin})`;
}
