/**
 * Why a bind failed, from the OS error alone: the explanation that needs no
 * facts about the host, for a planned listener or for the dashboard. It
 * runs nothing and reads nothing, so the running server and the dashboard
 * may use it.
 *
 * @module
 */

import type { FailedBind } from "../bind/bind.ts";
import { errorCode, exhaustionAdvice } from "../bind/accept_error.ts";
import { FILES_KEPT_FREE } from "../bind/files_kept_free.ts";
import type { PlannedListener } from "../plan/plan.ts";
import { quote } from "../spec/listen_spec_error.ts";
import { formatSocketName } from "../spec/socket_name.ts";
import type { Transport } from "../spec/types.ts";

/**
 * What a socket was bound for: a listener of the plan, the dashboard (whose
 * address `--dashboard` sets) or the control API (`--control`). The fixes differ.
 */
export type BindPurpose = "listener" | "dashboard" | "control";

/** The socket name a bind asked for, and what it was for. */
export interface BindTarget {
  /** A listener, the dashboard or the control API. */
  readonly purpose: BindPurpose;
  /** `tcp` or `udp`. */
  readonly transport: Transport;
  /** The address or host name, without brackets. */
  readonly hostname: string;
  /** The port. */
  readonly port: number;
}

/**
 * Explains failed binds, one reason per failure in the same order, each in
 * plain words without the spec (such as `address already in use: …`).
 * `muxd serve` hands `start()` one that knows the host ({@linkcode
 * hostExplainer}); {@linkcode explainPlainly} knows only the OS errors.
 *
 * @param failures The binds that failed.
 * @param held The listeners this muxd holds besides them: a failure may
 *   conflict with one of its own.
 * @returns One reason per failure.
 */
export type ExplainBinds = (
  failures: readonly FailedBind[],
  held: readonly PlannedListener[],
) => Promise<readonly string[]>;

/** What each purpose suggests, where the fixes differ. */
const FIXES: Readonly<Record<BindPurpose, { readonly inUse: string; readonly notLocal: string }>> =
  {
    listener: {
      inUse: "choose another port",
      notLocal: "Bind one of its own addresses, or a loopback address such as 127.0.0.1.",
    },
    dashboard: {
      inUse: "choose another address with --dashboard",
      notLocal: "Use a loopback address such as 127.0.0.1.",
    },
    control: {
      inUse: "choose another address with --control",
      notLocal: "Use a loopback address such as 127.0.0.1.",
    },
  };

/**
 * Explains a failed bind from the OS error alone.
 *
 * @param target What was bound.
 * @param cause The error `Deno.listen` or `Deno.listenDatagram` threw.
 * @returns The reason in plain words, without the spec.
 *
 * @example Address in use
 * ```ts
 * import { plainReason } from "./plain.ts";
 * import assert from "node:assert/strict";
 *
 * const target = { purpose: "listener", transport: "tcp", hostname: "::1", port: 7007 } as const;
 * assert.equal(
 *   plainReason(target, new Deno.errors.AddrInUse("in use")),
 *   "address already in use: another socket already holds tcp [::1]:7007. " +
 *     "Stop the program that holds it, or choose another port.",
 * );
 * ```
 */
export function plainReason(target: BindTarget, cause: unknown): string {
  const { hostname, port } = target;
  const where = `${target.transport} ${formatSocketName({ address: hostname, port })}`;
  const fixes = FIXES[target.purpose];
  if (cause instanceof Deno.errors.AddrInUse) {
    return `address already in use: another socket already holds ${where}. ` +
      `Stop the program that holds it, or ${fixes.inUse}.`;
  }
  if (cause instanceof Deno.errors.PermissionDenied) {
    return port < 1024
      ? `permission denied: ports below 1024 are privileged and need root ` +
        `(or CAP_NET_BIND_SERVICE). Use a port above 1023, such as ${port + 7000}.`
      : `permission denied by the operating system for ${where}.`;
  }
  if (cause instanceof Deno.errors.AddrNotAvailable) {
    return `address not available: ${hostname} is not an address of this host. ${fixes.notLocal}`;
  }
  if (cause instanceof Deno.errors.NotCapable) {
    return `not allowed by Deno's permissions: run with --allow-net (deno task serve does).`;
  }
  if (cause instanceof RangeError) return `invalid port ${port}.`;
  if (cause instanceof TypeError && /listenDatagram is not a function/.test(cause.message)) {
    // A program that uses muxd as a library without Deno's unstable net API.
    return `UDP needs Deno's unstable net API: run with --unstable-net, or put ` +
      `"unstable": ["net"] in deno.json (muxd's own tasks do).`;
  }
  const code = errorCode(cause);
  if (code === "EMFILE") {
    return `too many open files: muxd has as many files and sockets open as its open-files ` +
      `limit allows (ulimit -n), and each socket it binds is one more (serving what bound, ` +
      `with --keep-going, it leaves ${FILES_KEPT_FREE} free for connections and its own files). ` +
      `Raise the limit (ulimit -n 65536 before starting muxd), or bind fewer sockets.`;
  }
  if (code === "ENFILE" || code === "ENOBUFS" || code === "ENOMEM") {
    return `out of resources: ${exhaustionAdvice(code)}.`;
  }
  if (cause instanceof Error && /lookup address|Name or service not known/i.test(cause.message)) {
    return `host name not found: ${quote(hostname)} does not resolve.`;
  }
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * The target of a planned listener.
 *
 * @param listener The listener.
 * @returns What its bind asked for.
 */
export function listenerTarget(listener: PlannedListener): BindTarget {
  const { transport, hostname, port } = listener;
  return { purpose: "listener", transport, hostname, port };
}

/**
 * Explains each failure from its OS error alone: what `start()` uses when
 * it is given no explainer.
 *
 * @param failures The binds that failed.
 * @returns One reason per failure.
 */
export function explainPlainly(failures: readonly FailedBind[]): Promise<readonly string[]> {
  return Promise.resolve(failures.map((f) => plainReason(listenerTarget(f.listener), f.cause)));
}
