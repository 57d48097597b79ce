/**
 * Provisioning, in the spirit of Caddy's provision step: the command line
 * and the config file become, once, every setting merged and every listener
 * planned, with each service's options parsed into typed values, or else
 * every problem found, each with its position. `serve`, `check` and a
 * reload (SIGHUP) all start here. Nothing here does I/O: the config file is
 * read, and the host's interfaces listed, by the caller.
 *
 * @module
 */

import type { ConfigResult } from "../config/config_file.ts";
import { type DashboardPlan, planDashboard } from "../dashboard/address.ts";
import { type ControlPlan, planControl } from "../control/address.ts";
import { checkExposure } from "../plan/exposure.ts";
import { checkUpstreams } from "../plan/upstream_exposure.ts";
import { checkRelayLoops } from "../plan/relay_loop.ts";
import { buildPlan, type Plan } from "../plan/plan.ts";
import { argumentSource, listenItems } from "./listen_items.ts";
import { type Problem, SettingError } from "./problem.ts";
import type { Given, Settings } from "./settings.ts";
import type { Command } from "./setting.ts";
import { mergeSettings } from "./merge_settings.ts";

/** The parsed command line of `serve` or `check`, with the raw arguments for positions. */
export type ProvisionArgs<C extends Command> = Given<C> & {
  /** The command. */
  readonly command: C;
  /** The raw arguments, to name each spec's position. */
  readonly argv: readonly string[];
};

/** What provisioning needs to know about the host. */
export interface ProvisionHost {
  /**
   * The host's network interfaces, as `Deno.networkInterfaces()` lists them:
   * a spec whose host is an interface name binds each of its addresses.
   */
  readonly interfaces: readonly Deno.NetworkInterfaceInfo[];
  /**
   * `net.ipv6.bindv6only`: whether a `[::]` listener takes IPv6 alone, so
   * that a relay to an IPv4 address on its port is no ring.
   * @default false (dual-stack, Linux's default)
   */
  readonly bindV6Only?: boolean;
}

/** Everything a command needs, merged and checked. */
export interface Provisioned<C extends Command> {
  /** Every setting of the command, none missing. */
  readonly settings: Settings<C>;
  /** Every listener to bind, with its typed options and limits. */
  readonly plan: Plan;
  /** `true` when no listener was given and the built-in demo set is planned. */
  readonly demo: boolean;
  /** `serve`: where to serve the dashboard, if anywhere. */
  readonly dashboard: DashboardPlan | null;
  /** `serve`: where to serve the control API, if anywhere. */
  readonly control: ControlPlan | null;
  /** Lines to log as warnings, such as a listener exposed with `--public`. */
  readonly warnings: readonly string[];
}

/**
 * Provisions a command: merges the command line and the config file into
 * every setting, plans every listener, and checks what `serve` would refuse
 * (an address other hosts could reach, without `--public`). `check` reports
 * exposed listeners as findings instead, so they are not problems here; a
 * relay's upstream outside loopback without `--public` is one for both.
 *
 * @param args The parsed command line.
 * @param config The config file as read, or `null` without `--config`.
 * @param host The host's interfaces, and `net.ipv6.bindv6only`.
 * @returns What the command needs, or every problem found, in the order:
 *   the config file's, the listen specs', then the settings'.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { provision } from "./provision.ts";
 *
 * const argv = ["check", "-l", "tcp://127.0.0.1:7007=echo"];
 * const done = provision(
 *   { command: "check", argv, config: undefined, listen: [argv[2]], public: false, format: undefined },
 *   null,
 *   { interfaces: [] },
 * );
 * assert.ok(!Array.isArray(done));
 * assert.equal(done.plan.listeners[0].port, 7007);
 * assert.equal(done.settings.format, "text");
 * ```
 */
export function provision<C extends Command>(
  args: ProvisionArgs<C>,
  config: ConfigResult | null,
  host: ProvisionHost,
): Provisioned<C> | Problem[] {
  const problems: Problem[] = [...(config?.errors ?? [])];
  const settings = mergeSettings(args.command, args, config?.settings ?? {});
  // Every command takes --listen.
  const { listen } = args as unknown as Given<"check">;
  // Listeners come from the config file, --listen, or the control API; the
  // demo set stands in only when none of them is given.
  const controlled = args.command === "serve" &&
    (settings as Settings<"serve">).control !== undefined;
  const { items, demo } = listenItems(
    config?.settings.listen ?? [],
    listen,
    args.argv,
    problems.length === 0 && config === null && !controlled,
  );
  if (items.length === 0 && config !== null && problems.length === 0 && !controlled) {
    problems.push(
      new SettingError(
        `${
          (args as unknown as Given<"check">).config
        } lists no listeners: add "listen": ["tcp://127.0.0.1:7007=echo", ...] to it`,
      ),
    );
  }
  const { plan, errors } = buildPlan(items, { interfaces: host.interfaces });
  problems.push(...errors, ...checkRelayLoops(plan.listeners, host));
  const warnings: string[] = [];
  // A relay's upstream outside loopback is refused without --public by
  // check as by serve (both take --public): it is no bind for check to
  // predict, and serve refuses it before binding anything.
  const upstreams = checkUpstreams(plan.listeners, (settings as Settings<"check">).public);
  problems.push(...upstreams.errors);
  warnings.push(...upstreams.warnings);
  let dashboard: DashboardPlan | null = null;
  let control: ControlPlan | null = null;
  if (args.command === "serve") {
    const serve = settings as Settings<"serve">;
    const exposure = checkExposure(plan.listeners, serve.public);
    problems.push(...exposure.errors);
    warnings.push(...exposure.warnings);
    dashboard = planDashboard(serve.dashboard, { demo, allowPublic: serve.public });
    const where = flagSource(args.argv, "--dashboard");
    problems.push(...dashboard.errors.map((e) => new SettingError(e, where)));
    warnings.push(...dashboard.warnings);
    control = planControl(serve.control, serve.public);
    const controlWhere = flagSource(args.argv, "--control");
    problems.push(...control.errors.map((e) => new SettingError(e, controlWhere)));
    warnings.push(...control.warnings);
  }
  if (problems.length > 0) return problems;
  return { settings, plan, demo, dashboard, control, warnings };
}

/** The position of a flag's value in the raw arguments, as a source. */
function flagSource(argv: readonly string[], flag: string): Problem["source"] {
  const i = argv.findLastIndex((a) => a === flag || a.startsWith(`${flag}=`));
  if (i === -1) return undefined;
  return argumentSource(argv, argv[i] === flag ? i + 2 : i + 1);
}
