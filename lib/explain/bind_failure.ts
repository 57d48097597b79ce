/**
 * Explaining a bind failure the way `check` explains a prediction: the rule,
 * the other socket involved (ours or another program's), and a fix.
 *
 * @module
 */

import { errorCode } from "../bind/accept_error.ts";
import type { FailedBind } from "../bind/bind.ts";
import type { HostFacts } from "../check/host_facts.ts";
import { conflictFinding, conflictRule, singleFindings, socketText } from "../check/rules.ts";
import type { PlannedListener } from "../plan/plan.ts";
import { formatSource, isWildcard } from "../spec/mod.ts";
import type { Transport } from "../spec/types.ts";
import { listenerTarget, plainReason } from "./plain.ts";

/**
 * Describes, in plain words, which sockets hold a port, for "address in
 * use", and what to do about them.
 */
export type DescribeHolders = (
  query: { readonly transport: Transport; readonly address: string; readonly port: number },
) => Promise<{ readonly text: string; readonly fix: string }>;

/** What {@linkcode explainBindFailure} needs to know. */
export interface ExplainContext {
  /** The listeners this muxd holds besides the one that failed. */
  readonly earlier: readonly PlannedListener[];
  /** The host facts. */
  readonly facts: HostFacts;
  /** Names the sockets and processes holding a port. */
  readonly holders: DescribeHolders;
}

/**
 * Explains a bind failure in full: for "address in use", the conflicting
 * listener of this muxd, or the socket and process that hold the port; for
 * other failures (a privileged port, an address the host lacks, a link-local
 * or IPv4-mapped IPv6 address the kernel refuses), the rule that `check`
 * would have named; else what the OS error alone says
 * ({@linkcode plainReason}).
 *
 * @param failure The failure as `bindAll()` reported it.
 * @param ctx The other listeners, the host facts and the holder lookup.
 * @returns The reason in plain words, without the spec.
 *
 * @example A conflict with one of muxd's own listeners
 * ```ts
 * import { explainBindFailure } from "./bind_failure.ts";
 * import { readHostFacts } from "../check/mod.ts";
 * import { buildPlan } from "../plan/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const { plan } = buildPlan([
 *   { text: "tcp://127.0.0.1:7007=echo", source: { kind: "argument", index: 2 } },
 *   { text: "tcp://127.0.0.1:7007=whoami", source: { kind: "argument", index: 4 } },
 * ]);
 * const [first, second] = plan.listeners;
 * const reason = await explainBindFailure(
 *   { listener: second, cause: new Deno.errors.AddrInUse("in use") },
 *   { earlier: [first], facts: await readHostFacts(), holders: () => Promise.resolve({ text: "", fix: "" }) },
 * );
 * assert.match(reason, /^address already in use: this muxd already holds tcp:\/\/127\.0\.0\.1:7007=echo \(argument 2\)\. Both ask for/);
 * ```
 */
export async function explainBindFailure(
  failure: FailedBind,
  ctx: ExplainContext,
): Promise<string> {
  const { listener: l, cause } = failure;
  if (cause instanceof Deno.errors.AddrInUse) {
    const ours = ctx.earlier.find((e) => conflictRule(l, e, ctx.facts) !== null);
    if (ours) {
      const f = conflictFinding(conflictRule(l, ours, ctx.facts)!, l, ours);
      return `address already in use: this muxd already holds ${ours.spec} ` +
        `(${formatSource(ours.source)}). ${f.explanation} Fix: ${f.fix}`;
    }
    const held = await ctx.holders({ transport: l.transport, address: l.hostname, port: l.port });
    const what = isWildcard(l.hostname)
      ? `another socket uses port ${l.port} on an address this wildcard covers`
      : `another socket holds ${socketText(l)}, or a wildcard that covers it`;
    return `address already in use: ${what}; ${held.text}. Fix: ${held.fix}`;
  }
  if (
    cause instanceof Deno.errors.AddrNotAvailable || cause instanceof Deno.errors.PermissionDenied
  ) {
    const rule = cause instanceof Deno.errors.AddrNotAvailable
      ? "address-not-local"
      : "privileged-port";
    const f = singleFindings(l, ctx.facts, true).find((f) => f.rule === rule);
    if (f) {
      const what = rule === "address-not-local" ? "address not available" : "permission denied";
      return `${what}: ${f.explanation} Fix: ${f.fix}`;
    }
  }
  if (errorCode(cause) === "EINVAL") {
    const f = singleFindings(l, ctx.facts, true).find((f) =>
      f.rule === "link-local" || f.rule === "ipv4-mapped"
    );
    if (f) return `invalid argument: ${f.explanation} Fix: ${f.fix}`;
  }
  return plainReason(listenerTarget(l), cause);
}
