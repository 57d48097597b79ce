/**
 * SIGHUP: read the config file again and switch the running server to it.
 * Listeners that did not change keep their sockets and connections (those
 * whose faults alone changed too: the new faults apply from now on); a config
 * that fails to parse or to bind is rejected and the running set goes on.
 * Settings that can change live take effect at once; each one that needs a
 * restart is named.
 *
 * @module
 */

import type { MainLog } from "../log/log.ts";
import { readHostFacts } from "../check/host_facts.ts";
import { type RunningServer, type ServingSocket, StartError } from "../server/running_server.ts";
import { ServerClosedError } from "../server/listener_errors.ts";
import { SpecError } from "../server/listen_entries.ts";
import { bindFailuresText, groupBindFailures } from "../bind/failure_groups.ts";
import { socketsWords } from "../server/socket_words.ts";
import { provision, type Provisioned } from "../provision/provision.ts";
import { formatProblem } from "../provision/problem.ts";
import { type Given, SETTINGS, type Settings } from "../provision/settings.ts";
import { changedSettings, type SettingChange } from "../provision/merge_settings.ts";
import { loadConfig } from "./load_config.ts";

/** What a reload needs to provision again as `serve` did at start-up. */
export interface ReloadSource {
  /** The command line of `serve`, which stays. */
  readonly args: Given<"serve">;
  /** The raw arguments, for positions in messages. */
  readonly argv: readonly string[];
  /** The settings muxd runs with now. */
  readonly settings: () => Settings<"serve">;
}

/**
 * Reloads once: re-reads the config file, provisions, reconfigures, and
 * applies the settings that can change live.
 *
 * @param server The running server.
 * @param source Where the specs and settings come from.
 * @param log Where to say what happened.
 * @returns What is in force now, or `null` when the new config is rejected.
 */
export async function reload(
  server: RunningServer,
  source: ReloadSource,
  log: MainLog,
): Promise<Provisioned<"serve"> | null> {
  const { args, argv } = source;
  if (args.config === undefined) {
    log.warn("SIGHUP: nothing to reload: muxd was started without --config");
    return null;
  }
  const config = await loadConfig(args.config);
  const facts = await readHostFacts();
  const provisioned = provision({ ...args, command: "serve", argv }, config, facts);
  if (Array.isArray(provisioned)) {
    for (const p of provisioned) log.error(`SIGHUP: ${formatProblem(p)}`);
    log.error(`SIGHUP: the new config is rejected; the running set keeps serving`);
    return null;
  }
  const { plan, settings } = provisioned;
  try {
    const r = await server.reconfigure(plan, { maxConnections: settings.maxConnections });
    log.info(
      `SIGHUP: reloaded ${args.config}: ${r.kept} listener(s) kept with their connections, ` +
        (r.faultsChanged.length > 0
          ? `faults changed on ${r.faultsChanged.length}${named(r.faultsChanged)}, `
          : "") +
        (r.rebound.length > 0
          ? `bound anew for reset-after on ${r.rebound.length}${
            named(r.rebound).slice(0, -1)
          }; a connection arriving in that instant is refused or reset), `
          : "") +
        (r.apiFaultsKept.length > 0
          ? `faults set through the API kept on ${r.apiFaultsKept.length}` +
            `${named(r.apiFaultsKept)} (the config left their faults as they were), `
          : "") +
        `${r.removed} closed${named(r.closed)}` +
        (r.replaced.length > 0
          ? ` (${r.replaced.length} of them added through the API, whose socket names the ` +
            `config now binds)`
          : "") +
        `, ${r.added} added${named(r.opened)}` +
        (r.failures > 0 ? `, ${r.failures} could not be bound (see above)` : ""),
    );
  } catch (error) {
    // A stop signal came while the file was read: muxd no longer takes changes.
    if (error instanceof ServerClosedError) {
      log.info(ignoredWhileStopping());
      return null;
    }
    if (error instanceof SpecError) {
      for (const p of error.problems) log.error(`SIGHUP: ${p.message}`);
      log.error(`SIGHUP: the new config is rejected; the running set keeps serving`);
      return null;
    }
    if (!(error instanceof StartError)) throw error;
    // Each names where the failing entry is in the file; the ports of one
    // entry that failed for one reason share a line.
    for (const group of groupBindFailures(error.failures)) {
      log.error(`SIGHUP: ${bindFailuresText(group, true)}`);
    }
    log.error(`SIGHUP: the new config is rejected; the running set keeps serving`);
    return null;
  }
  for (const warning of provisioned.warnings) log.warn(`SIGHUP: ${warning}`);
  for (const change of changedSettings(source.settings(), settings)) {
    if (change.reload === "live") log.info(`SIGHUP: ${describeChange(change)}`);
    else log.warn(`SIGHUP: ${describeChange(change)}`);
  }
  return provisioned;
}

/**
 * The sockets a reload opened or closed, for its line: ` (tcp 127.0.0.1:7100
 * echo, udp [::1]:7101 whoami)`, a port range's as one entry
 * (`tcp 127.0.0.1:9000-9049 echo`), or nothing when there are none.
 */
function named(sockets: readonly ServingSocket[]): string {
  return sockets.length === 0 ? "" : ` (${socketsWords(sockets)})`;
}

/**
 * One line for a changed setting: `"grace" is now 1 (was 5)`, or, for one
 * that needs a restart, what muxd keeps until then.
 */
function describeChange({ key, before, after, reload }: SettingChange): string {
  const name = `"${SETTINGS[key].configKey ?? key}"`;
  if (reload === "live") return `${name} is now ${shown(after)} (was ${shown(before)})`;
  return `${name} changed to ${shown(after)}, which takes effect when muxd restarts; ` +
    `it keeps ${shown(before)} until then`;
}

/** A setting's value as a message shows it. */
function shown(value: unknown): string {
  return value === undefined ? "unset" : JSON.stringify(value);
}

/** What a SIGHUP says once muxd has begun to stop (for `signal`, when known). */
function ignoredWhileStopping(signal: Deno.Signal | null = null): string {
  const after = signal === null ? "" : ` (${signal} received)`;
  return `SIGHUP ignored: muxd is stopping${after}, so there is nothing to reload`;
}

/** When and whether {@linkcode reloadOnHangup} reloads. */
export interface HangupOptions {
  /**
   * Reloads wait for it: a SIGHUP that comes before then is heard, and
   * acted on once it resolves.
   * @default already resolved
   */
  readonly after?: Promise<void>;
  /** Heard a SIGHUP during start-up, before this handler was in place: it reloads once. @default none */
  readonly early?: EarlyHangups | null;
  /**
   * The stop signal muxd is stopping for, or `null` while it serves: a
   * SIGHUP during the shutdown's grace period is ignored, in one info line.
   * @default never stopping
   */
  readonly stopping?: () => Deno.Signal | null;
}

/**
 * Reloads on every SIGHUP, one reload at a time, until disposed. Does
 * nothing on Windows, which has no SIGHUP.
 *
 * @param server The running server.
 * @param source Where the specs and settings come from.
 * @param log Where to say what happened.
 * @param onReloaded Called with what is in force after a reload that took
 *   effect (to write the ready record again); what it throws is logged as
 *   failing after the reload, which stays in force.
 * @param options What reloads wait for, and when they are ignored.
 * @returns A handle that stops listening when disposed.
 */
export function reloadOnHangup(
  server: RunningServer,
  source: ReloadSource,
  log: MainLog,
  onReloaded: (provisioned: Provisioned<"serve">) => Promise<void>,
  options: HangupOptions = {},
): Disposable {
  if (Deno.build.os === "windows") return { [Symbol.dispose]() {} };
  const { early = null, stopping = () => null } = options;
  let queue = options.after ?? Promise.resolve();
  const handler = () => {
    queue = queue.then(async () => {
      const signal = stopping();
      if (signal !== null) return log.info(ignoredWhileStopping(signal));
      let provisioned: Provisioned<"serve"> | null;
      try {
        provisioned = await reload(server, source, log);
      } catch (error) {
        return log.error(`SIGHUP: reload failed: ${messageOf(error)}`);
      }
      if (provisioned === null) return;
      try {
        await onReloaded(provisioned);
      } catch (error) {
        log.error(
          `SIGHUP: the reload took effect, but what follows it failed: ${messageOf(error)}`,
        );
      }
    });
  };
  Deno.addSignalListener("SIGHUP", handler);
  // One sent while muxd started reloads once it is ready, as one sent now would.
  if (early?.heard) {
    log.info("SIGHUP: received while starting; reloading once ready");
    handler();
  }
  return { [Symbol.dispose]: () => Deno.removeSignalListener("SIGHUP", handler) };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Hears SIGHUP from the start of `serve`, before the reload is in place: a
 * SIGHUP nobody listens for ends the process (its default action), and a
 * harness may send one as soon as it has started muxd. Dispose of it to
 * stop listening.
 *
 * @example
 * ```ts
 * import { EarlyHangups } from "./reload.ts";
 *
 * using early = new EarlyHangups();
 * console.log(early.heard); // false until a SIGHUP comes
 * ```
 */
export class EarlyHangups implements Disposable {
  /** Whether a SIGHUP came. */
  heard = false;
  readonly #listen = () => this.heard = true;

  /** Starts listening (not on Windows, which has no SIGHUP). */
  constructor() {
    if (Deno.build.os !== "windows") Deno.addSignalListener("SIGHUP", this.#listen);
  }

  /** Stops listening. */
  [Symbol.dispose](): void {
    if (Deno.build.os !== "windows") Deno.removeSignalListener("SIGHUP", this.#listen);
  }
}
