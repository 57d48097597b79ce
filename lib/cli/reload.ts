/**
 * SIGHUP: read the config file again and switch the running server to it.
 * Listeners that did not change keep their sockets and connections; a config
 * that fails to parse or to bind is rejected and the running set goes on.
 *
 * @module
 */

import type { MainLog } from "../log/log.ts";
import { readHostFacts } from "../check/host_facts.ts";
import { checkExposure } from "../plan/exposure.ts";
import { buildPlan } from "../plan/plan.ts";
import { type RunningServer, StartError } from "../server/server.ts";
import { gatherListenItems } from "./listen_items.ts";

/** What a reload needs to build the new plan as `serve` built the first. */
export interface ReloadSource {
  /** `--config FILE`; without it there is nothing to reload. */
  readonly config?: string;
  /** The `--listen` specs, which stay. */
  readonly listen: readonly string[];
  /** `--public`. */
  readonly public: boolean;
  /** The raw arguments, for positions in messages. */
  readonly argv: readonly string[];
}

/**
 * Reloads once: re-reads the config file, plans, and reconfigures.
 *
 * @param server The running server.
 * @param source Where the specs come from.
 * @param log Where to say what happened.
 * @returns `true` when the new config is in force.
 */
export async function reload(
  server: RunningServer,
  source: ReloadSource,
  log: MainLog,
): Promise<boolean> {
  if (source.config === undefined) {
    log.warn("SIGHUP: nothing to reload: muxd was started without --config");
    return false;
  }
  const { items, settings, problems, demo } = await gatherListenItems(source, source.argv);
  const facts = await readHostFacts();
  const { plan, errors } = buildPlan(items, { interfaces: facts.interfaces });
  const exposure = checkExposure(plan.listeners, source.public || (settings.public ?? false));
  problems.push(...errors.map((e) => e.message), ...exposure.errors.map((e) => e.message));
  if (demo) problems.push(`${source.config} lists no listeners`);
  if (problems.length > 0) {
    for (const p of problems) log.error(`SIGHUP: ${p}`);
    log.error(`SIGHUP: the new config is rejected; the running set keeps serving`);
    return false;
  }
  try {
    const r = await server.reconfigure(plan);
    log.info(
      `SIGHUP: reloaded ${source.config}: ${r.kept} listener(s) kept with their connections, ` +
        `${r.removed} closed, ${r.added} added` +
        (r.failures > 0 ? `, ${r.failures} could not be bound (see above)` : ""),
    );
    return true;
  } catch (error) {
    if (!(error instanceof StartError)) throw error;
    for (const f of error.failures) log.error(`SIGHUP: ${f.message}`);
    log.error(`SIGHUP: the new config is rejected; the running set keeps serving`);
    return false;
  }
}

/**
 * Reloads on every SIGHUP, one reload at a time, until disposed. Does
 * nothing on Windows, which has no SIGHUP.
 *
 * @param server The running server.
 * @param source Where the specs come from.
 * @param log Where to say what happened.
 * @param onReloaded Called after a reload that took effect.
 * @returns A handle that stops listening when disposed.
 */
export function reloadOnHangup(
  server: RunningServer,
  source: ReloadSource,
  log: MainLog,
  onReloaded: () => Promise<void>,
): Disposable {
  if (Deno.build.os === "windows") return { [Symbol.dispose]() {} };
  let queue = Promise.resolve();
  const handler = () => {
    queue = queue.then(async () => {
      try {
        if (await reload(server, source, log)) await onReloaded();
      } catch (error) {
        log.error(`SIGHUP: reload failed: ${error instanceof Error ? error.message : error}`);
      }
    });
  };
  Deno.addSignalListener("SIGHUP", handler);
  return { [Symbol.dispose]: () => Deno.removeSignalListener("SIGHUP", handler) };
}
