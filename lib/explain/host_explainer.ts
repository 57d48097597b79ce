/**
 * The explainer `muxd serve` hands `start()`: it reads the host's rules
 * (`sysctl`) and looks up who holds a port (`ss`) only when a bind fails.
 *
 * @module
 */

import { type HostFacts, readHostFacts } from "../check/host_facts.ts";
import {
  describeHolders,
  findHolders,
  findHoldersOfEach,
  type HolderQuery,
  type HolderReport,
  holdersFix,
} from "../holder/mod.ts";
import { type DescribeHolders, explainBindFailure } from "./bind_failure.ts";
import type { ExplainBinds } from "./plain.ts";

/** Options for {@linkcode hostExplainer}; tests pass their own. */
export interface HostExplainerOptions {
  /** The host facts. @default read from the host at each failure */
  readonly facts?: HostFacts;
  /** Names who holds a port. @default a lookup in the OS's socket tables (`ss`) */
  readonly holders?: DescribeHolders;
}

/**
 * Makes an explainer that knows the host: it names the rule a failure
 * broke, the listener of this muxd it conflicts with, or the socket and
 * process that hold the port (see {@linkcode explainBindFailure}).
 *
 * @param options The host facts and the holder lookup, when not the host's.
 * @returns The explainer, for `start()` and `reconfigure()`.
 *
 * @example
 * ```ts
 * import { hostExplainer } from "./host_explainer.ts";
 * import { start } from "../server/mod.ts";
 * import { buildPlan } from "../plan/mod.ts";
 *
 * const { plan } = buildPlan([
 *   { text: "tcp://127.0.0.1:0=echo", source: { kind: "argument", index: 2 } },
 * ]);
 * const server = await start(plan, { explain: hostExplainer() });
 * await server.close();
 * ```
 */
export function hostExplainer(options: HostExplainerOptions = {}): ExplainBinds {
  return async (failures, held) => {
    if (failures.length === 0) return [];
    const facts = options.facts ?? await readHostFacts();
    const holders = options.holders ?? holdersOn(facts);
    const ctx = { earlier: held, facts, holders };
    return await Promise.all(failures.map((f) => explainBindFailure(f, ctx)));
  };
}

/**
 * Who holds a port, from the OS's socket tables (`ss`). The questions of
 * one start-up or reload come together (a port range in use fails every
 * listener at once): they are answered together, with one `ss` per
 * transport, not one each, which would open three pipes per listener
 * and run out of files where a bind had just failed for want of them.
 */
function holdersOn(facts: HostFacts): DescribeHolders {
  let batch: Question[] | null = null;
  const askAll = (asked: readonly Question[]) => {
    const reports = findHoldersOfEach(asked.map((a) => a.query), {
      bindV6Only: facts.bindV6Only,
    });
    asked.forEach((a, i) => reports.then((all) => a.answer.resolve(all[i]), a.answer.reject));
  };
  return async (query) => {
    let asked = batch;
    if (asked === null) {
      const started: Question[] = [];
      batch = asked = started;
      setTimeout(() => {
        batch = null;
        askAll(started);
      }, 0);
    }
    const answer = Promise.withResolvers<HolderReport>();
    asked.push({ query, answer });
    const report = await answer.promise;
    return { text: describeHolders(report, query), fix: holdersFix(report, facts.ephemeralPorts) };
  };
}

/** One question to {@linkcode holdersOn}'s lookup, and where its answer goes. */
interface Question {
  readonly query: HolderQuery;
  readonly answer: PromiseWithResolvers<HolderReport>;
}

/**
 * Who holds a TCP address that one of muxd's own HTTP servers (the
 * dashboard, the control API) could not bind, as a sentence to add to its
 * "address already in use".
 *
 * @param address The address asked for.
 * @returns Such as `It is held by a listening socket tcp 127.0.0.1:7080 of
 *   process 4242 (python3).`
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { whoHolds } from "./host_explainer.ts";
 *
 * using held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const said = await whoHolds({ hostname: "127.0.0.1", port: held.addr.port });
 * assert.match(said, /^It is held by a listening socket tcp 127\.0\.0\.1:\d+ of process \d+ \(deno\)\.$|^Who holds it/);
 * ```
 */
export async function whoHolds(
  address: { readonly hostname: string; readonly port: number },
): Promise<string> {
  const facts = await readHostFacts();
  const query = { transport: "tcp", address: address.hostname, port: address.port } as const;
  const report = await findHolders(query, { bindV6Only: facts.bindV6Only });
  const text = describeHolders(report, query);
  return report.supported && report.holders.length > 0
    ? `It is ${text}.`
    : `Who holds it is not known: ${text}.`;
}
