/**
 * Explaining a bind failure the way `check` explains a prediction: the rule,
 * the other socket involved (ours or another program's), and a fix.
 *
 * @module
 */

import { BindError } from "../bind/bind_error.ts";
import type { PlannedListener } from "../plan/plan.ts";
import { formatSource, isWildcard } from "../spec/mod.ts";
import type { HostFacts } from "./host_facts.ts";
import { conflictFinding, conflictRule, singleFindings, socketText } from "./rules.ts";

/** Describes, in plain words, which sockets hold a port, for "address in use". */
export type DescribeHolders = (
  query: { readonly transport: "tcp" | "udp"; readonly address: string; readonly port: number },
) => Promise<string>;

/** What {@linkcode explainBindFailure} needs to know. */
export interface ExplainContext {
  /** The listeners this muxd bound before the one that failed. */
  readonly earlier: readonly PlannedListener[];
  /** The host facts. */
  readonly facts: HostFacts;
  /** Names the sockets and processes holding a port. */
  readonly holders: DescribeHolders;
}

/**
 * Explains a bind failure in full: for "address in use", the conflicting
 * listener of this muxd, or the socket and process that hold the port; for
 * other failures, the rule that `check` would have named.
 *
 * @param failure The failure as `bindAll()` reported it.
 * @param ctx The other listeners, the host facts and the holder lookup.
 * @returns The same failure with the fuller explanation as its `reason`.
 */
export async function explainBindFailure(
  failure: BindError,
  ctx: ExplainContext,
): Promise<BindError> {
  const l = failure.listener;
  const cause = failure.cause;
  let reason: string | null = null;
  if (cause instanceof Deno.errors.AddrInUse) {
    const ours = ctx.earlier.find((e) => conflictRule(l, e, ctx.facts) !== null);
    if (ours) {
      const f = conflictFinding(conflictRule(l, ours, ctx.facts)!, l, ours);
      reason = `address already in use: this muxd already holds ${ours.spec} ` +
        `(${formatSource(ours.source)}). ${f.explanation} Fix: ${f.fix}`;
    } else {
      const held = await ctx.holders({ transport: l.transport, address: l.hostname, port: l.port });
      const wildcard = isWildcard(l.hostname);
      const what = wildcard
        ? `another socket uses port ${l.port} on an address this wildcard covers`
        : `another socket holds ${socketText(l)}, or a wildcard that covers it`;
      reason = `address already in use: ${what}; ${held}. Fix: stop the program that holds ` +
        `it, or choose another port.`;
    }
  } else if (
    cause instanceof Deno.errors.AddrNotAvailable || cause instanceof Deno.errors.PermissionDenied
  ) {
    const rule = cause instanceof Deno.errors.AddrNotAvailable
      ? "address-not-local"
      : "privileged-port";
    const f = singleFindings(l, ctx.facts, true).find((f) => f.rule === rule);
    if (f) {
      const what = rule === "address-not-local" ? "address not available" : "permission denied";
      reason = `${what}: ${f.explanation} Fix: ${f.fix}`;
    }
  }
  return reason === null ? failure : new BindError(l, cause, reason);
}
