/**
 * `muxd serve`: gather listen specs (config file, `--listen`, or the demo
 * set), plan, bind, report, serve until a signal, and shut down.
 *
 * @module
 */

import {
  defaultEphemeralPorts,
  listInterfaces,
  readBindV6Only,
  readEphemeralPorts,
} from "../check/host_facts.ts";
import { RelayLoopError } from "../plan/relay_loop.ts";
import { EventHub } from "../events/hub.ts";
import { mainLogger, setUpLogging } from "../log/log.ts";
import { getBatchSink } from "../log/batch_sink.ts";
import { stdoutOutput } from "../log/stderr_output.ts";
import { FaultSummary, faultSummaryLog } from "../log/fault_summary.ts";
import { useColor } from "../log/use_color.ts";
import { openDashboard } from "../dashboard/mod.ts";
import { StopListener } from "./stop_signals.ts";
import { EarlyHangups, reloadOnHangup } from "./reload.ts";
import { start } from "../server/server.ts";
import { StartError } from "../server/running_server.ts";
import { MuxdServer } from "../server/muxd_server.ts";
import { hostExplainer, whoHolds } from "../explain/host_explainer.ts";
import { alreadyRunningLine, findSoleHolder } from "../explain/already_running.ts";
import type { ServerEvent } from "../events/event.ts";
import { BindFailureLines } from "../log/bind_failure_lines.ts";
import { AcceptPauseLines } from "../log/accept_pause_lines.ts";
import { fileBudget, openFilesLimit, openFilesWarning } from "./open_files.ts";
import { connectedPeersBySs } from "../holder/connected_peers.ts";
import { dashboardFiles } from "../dashboard/mod.ts";
import { ControlBindError, controlFiles, readTokenFile, serveControl } from "../control/mod.ts";
import { controlLine, readyRecord, socketTable } from "./report.ts";
import { ReadyFile, ReadyFileTaken } from "./ready_file.ts";
import { MetricsCollector, metricsText, ProcessFigures } from "../metrics/mod.ts";
import type { PortRange } from "../spec/types.ts";
import { loadConfig } from "./load_config.ts";
import { provision } from "../provision/provision.ts";
import { formatProblem } from "../provision/problem.ts";
import { fileErrorWords } from "../explain/file_error.ts";
import { visible } from "../spec/visible.ts";
import type { Given, Settings } from "../provision/settings.ts";

/** What `muxd serve` was asked on the command line: one field per setting it takes. */
export type ServeArgs = Given<"serve">;

/** Exit codes of `muxd serve`. */
export const EXIT = { ok: 0, bindFailed: 1, badInput: 2 } as const;

/**
 * Runs `muxd serve` until SIGINT or SIGTERM.
 *
 * @param args The parsed options.
 * @param argv The raw command-line arguments, to name each spec's position.
 * @returns The process exit code.
 */
export async function serve(args: ServeArgs, argv: readonly string[]): Promise<number> {
  const config = await loadConfig(args.config);
  // The kernel's rules (sysctl) are read only if a bind fails, to explain it,
  // or if a relay rings through [::] only when [::] is dual-stack.
  const interfaces = listInterfaces();
  const asked = { ...args, command: "serve" as const, argv };
  let provisioned = provision(asked, config, { interfaces });
  let bindV6Only: Promise<boolean> | null = null;
  if (
    Array.isArray(provisioned) &&
    provisioned.some((p) => p instanceof RelayLoopError && p.dualStack)
  ) {
    bindV6Only = readBindV6Only();
    if (await bindV6Only) provisioned = provision(asked, config, { interfaces, bindV6Only: true });
  }
  if (Array.isArray(provisioned)) {
    for (const p of provisioned) console.error(`muxd: ${formatProblem(p)}`);
    return EXIT.badInput;
  }
  const { plan, demo, settings } = provisioned;
  const dashboardPlan = provisioned.dashboard!;
  const controlPlan = provisioned.control!;
  // A token file is read before anything is bound: a bad one stops muxd at once.
  let controlToken: string | undefined;
  if (controlPlan.address !== null && settings.controlTokenFile !== undefined) {
    try {
      controlToken = await readTokenFile(settings.controlTokenFile);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      console.error(`muxd: ${visible(error.message)}`);
      return EXIT.badInput;
    }
  }
  // What a reload may change while muxd runs (the grace period among them).
  let live: Settings<"serve"> = settings;

  const format = settings.logFormat;
  const color = format === "text" && useColor(Deno.stderr.isTerminal(), (n) => Deno.env.get(n));
  const logging = await setUpLogging({
    format,
    color,
    level: settings.logLevel,
    linesPerSecond: settings.logLines,
  });
  const log = mainLogger();
  // The ready record is for programs: on a terminal, where the socket table
  // already shows a person what is served, it would be a screenful of JSON.
  // Written off the main thread, as the log is: a pipe nobody reads never stops muxd.
  await using stdout = Deno.stdout.isTerminal() ? null : getBatchSink(stdoutOutput(), {
    formatter: () => "",
    onDropped: (n) =>
      log.warn(`${n} ready record(s) not written to standard output: its reader did not keep up`),
  });
  const announce = (record: string) => stdout?.writeLine(`${record}\n`);
  // Listen for stop signals before anything is bound: one sent right after
  // the ready record must not kill muxd.
  using stop = new StopListener();
  // SIGHUP too: until the reload is in place, one is noted (its default
  // action would end muxd), and reloads once muxd is ready.
  using earlyHangups = new EarlyHangups();
  try {
    const readyPath = settings.readyFile;
    // A record left by an earlier run goes before anything is bound, and this
    // run's goes when it exits: the file says "ready" only while muxd serves.
    let claimed: ReadyFile | null = null;
    if (readyPath !== undefined) {
      try {
        claimed = await ReadyFile.claim(readyPath, Deno.pid, (m) => log.warn(m));
      } catch (error) {
        const why = error instanceof ReadyFileTaken ? error.message : fileError(error);
        log.error(`cannot use ${readyPath} as the ready file: ${why}`);
        return EXIT.badInput;
      }
    }
    await using ready = claimed;
    for (const warning of provisioned.warnings) log.warn(warning);
    const hub = new EventHub((e) => log.error(`an event consumer failed: ${e}`));
    // The text log tells the bind failures of one spec for one reason in one
    // line (the JSON log and the dashboard get every event).
    const failureLines = format === "text"
      ? new BindFailureLines(logging.events, (line) => log.error(line))
      : null;
    // And the listeners that cannot accept (EMFILE) at once, or accept again, in one line.
    using acceptLines = format === "text"
      ? new AcceptPauseLines(
        failureLines!.sink,
        (level, line) => level === "warning" ? log.warn(line) : log.info(line),
      )
      : null;
    // Each sink takes the types it uses: the events of a datagram that no
    // sink takes are not made (the log takes no `reply` at its default level).
    hub.subscribe(acceptLines?.sink ?? logging.events, logging.types);
    // Faults hit per connection or datagram, logged at debug; summed per
    // listener at info every 10 s while they hit, and once more at the end.
    using faultSummary = new FaultSummary(faultSummaryLog());
    hub.subscribe(faultSummary.sink, FaultSummary.TYPES);
    const keepGoing = settings.keepGoing || demo;
    // Before start(), so that the dashboard sees the start-up events too.
    const opened = await openDashboard(
      dashboardPlan,
      hub,
      keepGoing,
      (m) => log.warn(m),
      whoHolds,
    );
    if (opened.fatal) {
      log.error(opened.message!);
      return EXIT.bindFailed;
    }
    await using dashboard = opened.dashboard;
    // What /metrics counts, on the control API as on the dashboard: the
    // dashboard's counters, or without a dashboard, the control API's own.
    let metrics = dashboard?.metrics ?? null;
    if (metrics === null && controlPlan.address !== null) {
      metrics = new MetricsCollector();
      hub.subscribe(metrics.record);
    }
    // The UDP loop guard's ephemeral range, read with sysctl once muxd is
    // ready: start-up does not wait for it, and the OS's default applies
    // until then. Read even without UDP listeners: a reload may add some.
    const ephemeralPorts = Promise.withResolvers<PortRange>();
    const { maxConnections } = settings;
    // What failed to bind is told once start() is done: in one line when
    // another muxd holds every listener, else one line per spec and reason.
    const held = new HeldBack(hub.emit);
    let running;
    try {
      running = await start(plan, {
        ephemeralPorts: ephemeralPorts.promise,
        sink: held.sink,
        wanted: hub.wants,
        keepGoing,
        maxConnections,
        // Reads the host's rules (sysctl) and who holds a port (ss) only if a bind fails.
        explain: hostExplainer(),
        // What add() checks its specs against, as provision() checked these.
        allowPublic: settings.public,
        interfaces,
        // For the ring check of relays added later: read (sysctl) when first needed.
        bindV6Only: bindV6Only ?? (() => readBindV6Only()),
        // For the UDP loop rule: a connected client is no loop (ss, at a trip).
        connectedPeers: connectedPeersBySs(),
      });
    } catch (error) {
      if (!(error instanceof StartError)) throw error;
      const n = error.failures.length;
      const total = plan.listeners.length;
      const sole = n === total ? await findSoleHolder(error.failures) : null;
      if (sole?.muxd) {
        held.drop();
        log.error(alreadyRunningLine(sole, error.failures, serveCommand()));
        return EXIT.bindFailed;
      }
      held.release();
      failureLines?.flush();
      if (opened.message) log.warn(opened.message);
      log.error(
        n === total
          ? `nothing is being served: ${
            total === 1 ? "its one listener could not" : `none of its ${total} listeners could`
          } be bound`
          : `nothing is being served: ${n} of ${total} listener${
            total === 1 ? "" : "s"
          } could not be bound, so muxd closed the rest (use --keep-going to serve what binds)`,
      );
      return EXIT.bindFailed;
    }
    held.release();
    failureLines?.flush();
    // The same server the library's start() returns: its events readable
    // as an async iterable too, for the control API.
    const server = new MuxdServer(running, hub);
    dashboard?.follow(server.traffic);
    // What an API change does: until the ready file holds its first record,
    // note it; from then on, write the record again.
    let changedEarly = false;
    let controlChanged = (): Promise<void> | void => {
      changedEarly = true;
    };
    let control = null;
    if (controlPlan.address !== null) {
      try {
        control = serveControl(server, {
          ...controlPlan.address,
          token: controlToken,
          warn: (m) => log.warn(m),
          metrics: metrics === null ? undefined : textOf(metrics),
          changed: (what) => {
            if (what !== null) log.info(`control API: ${what}`);
            // The answer waits for the ready file: a reader of it after the answer sees the change.
            return controlChanged();
          },
        });
      } catch (error) {
        if (!(error instanceof ControlBindError)) throw error;
        // Whoever asked for the API drives muxd through it: no --keep-going here.
        const who = error.code === "EADDRINUSE" ? ` ${await whoHolds(error.address)}` : "";
        log.error(`${error.message}${who} Nothing is being served.`);
        await server.close({ graceMs: 0 });
        return EXIT.bindFailed;
      }
      // The counters POST /v1/reset sets back to zero.
      if (dashboard) control.resets.add("dashboard", () => dashboard.stats.resetCounters());
      if (metrics) control.resets.add("metrics", () => metrics.reset());
    }
    await using _control = control;
    const controlEntry = control && { url: control.url, token: control.token };
    /** The ready record of what is served now, as JSON text. */
    const recordNow = () =>
      JSON.stringify(readyRecord(server, Deno.pid, dashboard?.url ?? null, controlEntry));
    if (opened.message) log.warn(opened.message);
    // SIGHUP is heard from before the ready record (a SIGHUP nobody listens
    // for ends the process), and reloads wait until that record is out.
    // After a reload, a new ready record names the new set of sockets.
    const announced = Promise.withResolvers<void>();
    using _hangup = reloadOnHangup(
      server,
      { args, argv, settings: () => live },
      log,
      async (next) => {
        live = next.settings;
        const again = recordNow();
        const stale = await ready?.rewrite(again, "the reload");
        if (stale) log.warn(`SIGHUP: ${stale}`);
        announce(again);
      },
      // A SIGHUP during the shutdown's grace period is ignored, in one line.
      { after: announced.promise, early: earlyHangups, stopping: () => stop.received },
    );
    const record = recordNow();
    if (format === "text") {
      const say = logging.say;
      say(socketTable(server, Deno.pid) + (demo ? "\n\n(the built-in demo set: see README)" : ""));
      if (dashboard) say(`\nDashboard: ${dashboard.url} (open it in a browser)`);
      if (control) {
        const stdoutIsTerminal = Deno.stdout.isTerminal();
        const { controlTokenFile: tokenFile, readyFile } = settings;
        say(`\n${controlLine(control.url, { tokenFile, readyFile, stdoutIsTerminal })}`);
      }
      say("\nPress Ctrl-C to stop.");
    }
    if (ready !== null) {
      try {
        await ready.write(record);
      } catch (error) {
        log.error(`cannot write the ready file ${ready.path}: ${fileError(error)}; stopping`);
        await server.close({ graceMs: 0 });
        return EXIT.badInput;
      }
    }
    announce(record);
    announced.resolve();
    // The ready file follows what the control API changes: the sockets and
    // their faults, as after a reload (stdout keeps the records it had).
    controlChanged = async () => {
      if (ready === null) return;
      const again = recordNow();
      await ready.rewrite(again, "the change").then(
        (stale) => {
          if (stale) log.warn(`control API: ${stale}`);
        },
        (error) => log.error(`control API: cannot rewrite the ready file ${ready.path}: ${error}`),
      );
    };
    if (changedEarly) await controlChanged();
    // Whether the limits fit the open-files limit, learnt once muxd is ready:
    // start-up does not wait for prlimit.
    const budget = fileBudget(
      plan.listeners,
      maxConnections,
      (dashboard ? dashboardFiles() : 0) + (control ? controlFiles() : 0),
    );
    void openFilesLimit(Deno.pid).then((limit) => {
      if (limit === null) return log.debug("open files: the limit cannot be read (prlimit)");
      const warning = openFilesWarning(budget, limit);
      if (warning !== null) log.warn(warning);
      else log.debug(`open files: the limits allow ${budget.total}, within the limit of ${limit}`);
    });
    ephemeralPorts.resolve(
      readEphemeralPorts().catch((error) => {
        log.warn(`cannot read the ephemeral port range, assuming the OS's default: ${error}`);
        return defaultEphemeralPorts();
      }),
    );
    const signal = await stop.first;
    const graceMs = live.grace * 1000;
    log.info(
      `${signal}: stopped accepting; open connections may finish for ${graceMs / 1000} s ` +
        // Ctrl-C is how SIGINT comes, from a terminal.
        (signal === "SIGINT"
          ? "(press Ctrl-C again to stop now)"
          : `(send ${signal} again to stop now)`),
    );
    stop.onRepeat(() => void server.close());
    // Stopping, muxd no longer serves: the ready file goes once every socket
    // is closed and its port free (a harness rebinds them when it is gone),
    // not after the grace period.
    const { forced } = await server.close({ graceMs, onUnbound: () => void ready?.withdraw() });
    await ready?.withdraw();
    faultSummary.close();
    // Accept pauses still gathering are told now, not after the last line.
    acceptLines?.flush();
    // So are the lines the budget held back: `bye` is the last line.
    logging.sayHeldBack();
    log.info(forced > 0 ? `closed ${forced} connection(s) still open; bye` : "bye");
    return EXIT.ok;
  } finally {
    await logging.close();
  }
}

/**
 * Events held back while `start()` binds, then passed on, or dropped when
 * one line tells what they would.
 */
class HeldBack {
  readonly #emit: (event: ServerEvent) => void;
  #events: ServerEvent[] | null = [];

  constructor(emit: (event: ServerEvent) => void) {
    this.#emit = emit;
  }

  /** Takes each event: holds it until release() or drop(), then passes it on. */
  readonly sink = (event: ServerEvent): void => {
    if (this.#events === null) this.#emit(event);
    else this.#events.push(event);
  };

  /** Passes on what was held, and every event from now on. */
  release(): void {
    const events = this.#events ?? [];
    this.#events = null;
    for (const event of events) this.#emit(event);
  }

  /** Forgets what was held; passes on every event from now on. */
  drop(): void {
    this.#events = null;
  }
}

/** How the user runs `serve`: through `deno task` (which sets INIT_CWD) or as `muxd`. */
function serveCommand(): string {
  const env = { name: "env", variable: "INIT_CWD" } as const;
  const viaTask = Deno.permissions.querySync(env).state === "granted" &&
    Deno.env.get("INIT_CWD") !== undefined;
  return viaTask ? "deno task serve" : "muxd serve";
}

function fileError(error: unknown): string {
  return fileErrorWords(error, "its folder does not exist");
}

/** Writes the Prometheus text of `collector`, with the process's figures. */
function textOf(collector: MetricsCollector): () => string {
  const figures = new ProcessFigures();
  return () => metricsText(collector, figures);
}
