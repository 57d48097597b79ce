/**
 * `deno task bench:load`: muxd against other echo servers, relays (its
 * `forward`) and forking servers (its `exec`) on loopback.
 *
 * ```sh
 * deno task bench:load                 # every peer, 3 rounds; writes docs/BENCHMARKS.md and docs/benchmarks.svg
 * deno task bench:load --quick         # muxd alone (echo, forward, exec), ~1 s per measure, Deno load generator; writes nothing
 * deno task bench:load --rounds 5 --seconds 3 --peers muxd,c,node --no-write
 * deno task bench:load --quick --json  # the result as JSON on stdout, for tests/bench/
 * deno task bench:load --pin --peers muxd,muxd-quiet,deno,node   # one core each; writes docs/BENCHMARKS-one-core.md
 * ```
 *
 * With `--pin`, every server that does not fork runs on CPU 1 alone and the
 * load generator (and the relays' upstream) on CPU 0: on a machine of two
 * cores, where a server's main thread otherwise lands now on the load
 * generator's core and now on its own, this gives steady figures of what
 * each server does with one core.
 *
 * It needs `--allow-all`: Deno lets a program read /proc (CPU time, memory)
 * only with every permission.
 *
 * Exits with 1 when a required check failed (a byte not echoed, a
 * connection error, a merged datagram, a listener not bound).
 *
 * @module
 */

import { chartSvg } from "./chart.ts";
import { keepHandWritten } from "./hand_written.ts";
import { reportMarkdown } from "./report.ts";
import {
  FULL_OPTIONS,
  type LoadBenchOptions,
  PinError,
  QUICK_OPTIONS,
  runLoadBench,
} from "./run.ts";

const USAGE = `usage: deno task bench:load [--quick] [--rounds N] [--seconds S] [--peers ID,ID]
                            [--client c|deno] [--pin] [--no-write] [--json]
peers: muxd, muxd-every, muxd-quiet, muxd-faults, deno, deno-logged, c, xinetd, socat, ncat, node (echo servers);
       fwd-muxd, fwd-deno, fwd-haproxy, fwd-nginx, fwd-socat, fwd-ncat, fwd-node (relays);
       exec-muxd, exec-deno, exec-deno-threads, exec-xinetd, exec-socat,
       exec-ncat (programs behind a port)`;

function parse(
  args: readonly string[],
): { options: LoadBenchOptions; write: boolean; json: boolean } {
  let options: LoadBenchOptions = args.includes("--quick") ? QUICK_OPTIONS : FULL_OPTIONS;
  let write = !options.quick;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new SyntaxError(`${args[i - 1]} needs a value`);
      return v;
    };
    const count = (name: string, v: string, max: number) => {
      const n = Number(v);
      if (!(n > 0 && n <= max)) throw new RangeError(`${name} must be from 1 to ${max}, not ${v}`);
      return n;
    };
    switch (args[i]) {
      case "--quick":
        break;
      case "--rounds":
        options = { ...options, rounds: count("--rounds", value(), 20) };
        break;
      case "--seconds":
        options = { ...options, seconds: count("--seconds", value(), 30) };
        break;
      case "--peers":
        options = { ...options, peers: value().split(",") };
        break;
      case "--client": {
        const v = value();
        if (v !== "c" && v !== "deno") throw new SyntaxError(`--client is c or deno, not ${v}`);
        options = { ...options, client: v };
        break;
      }
      case "--pin":
        if (navigator.hardwareConcurrency < 2) {
          throw new RangeError(
            "--pin needs 2 CPUs: one for the servers, one for the load generator",
          );
        }
        // Start-up is not a matter of cores: it is measured in the unpinned run.
        options = { ...options, pin: true, startupCases: [] };
        break;
      case "--no-write":
        write = false;
        break;
      case "--json":
        json = true;
        break;
      default:
        throw new SyntaxError(`unknown argument ${args[i]}`);
    }
  }
  return { options, write, json };
}

if (import.meta.main) {
  let parsed;
  try {
    parsed = parse(Deno.args);
  } catch (error) {
    if (!(error instanceof SyntaxError || error instanceof RangeError)) throw error;
    console.error(`bench:load: ${error.message}\n${USAGE}`);
    Deno.exit(2);
  }
  let result;
  try {
    result = await runLoadBench(parsed.options);
  } catch (error) {
    if (!(error instanceof PinError)) throw error;
    console.error(`bench:load: ${error.message}`);
    Deno.exit(2);
  }
  const markdown = reportMarkdown(result);
  if (parsed.write) {
    const docs = new URL("../../docs/", import.meta.url);
    const name = parsed.options.pin ? "BENCHMARKS-one-core" : "BENCHMARKS";
    const report = new URL(`${name}.md`, docs);
    const chart = new URL(`${name.toLowerCase()}.svg`, docs);
    const existing = await Deno.readTextFile(report).catch((error) => {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    });
    await Deno.writeTextFile(report, keepHandWritten(markdown, existing));
    await Deno.writeTextFile(chart, chartSvg(result));
    // In the project's own style (wrapped at 100, tables aligned), so that `deno task check` passes.
    const fmt = await new Deno.Command("deno", {
      args: ["fmt", "--quiet", report.pathname, chart.pathname],
    }).output();
    if (!fmt.success) {
      console.error(`deno fmt of docs/${name}.md and docs/${name.toLowerCase()}.svg failed`);
    }
    console.error(`wrote docs/${name}.md and docs/${name.toLowerCase()}.svg`);
  }
  console.log(parsed.json ? JSON.stringify(result) : markdown);
  const failed = result.checks.filter((c) => c.required && !c.ok);
  for (const c of failed) console.error(`FAILED: ${c.name}: ${c.detail}`);
  console.error(
    `${result.checks.length - failed.length} checks passed, ${failed.length} failed ` +
      `(${result.elapsedSeconds.toFixed(0)} s)`,
  );
  Deno.exit(failed.length > 0 ? 1 : 0);
}
