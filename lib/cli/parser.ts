/**
 * The command line, declared with optique: `muxd serve`, `muxd check`,
 * `muxd services`.
 *
 * @module
 */

import { merge, object, or } from "@optique/core/constructs";
import { lineBreak, type Message, message, text } from "@optique/core/message";
import { multiple, optional, withDefault } from "@optique/core/modifiers";
import { command, constant, flag, option } from "@optique/core/primitives";
import { choice, float, integer, string } from "@optique/core/valueparser";
import type { InferValue } from "@optique/core/parser";

/** Where listen specs come from: shared by `serve` and `check`. */
const specSources = object({
  config: optional(
    option("-c", "--config", string({ metavar: "FILE" }), {
      description: message`Read listeners and settings from a JSONC file.`,
    }),
  ),
  listen: multiple(
    option("-l", "--listen", string({ metavar: "SPEC" }), {
      description: message`A listen spec such as ${"tcp://127.0.0.1:7007=echo"}. \
Repeat it for more; adds to the config file.`,
    }),
  ),
  public: withDefault(
    flag("--public", {
      description: message`Allow wildcard and non-loopback addresses, reachable from other \
hosts. Without it muxd binds loopback addresses only.`,
    }),
    false,
  ),
});

const serve = command(
  "serve",
  merge(
    specSources,
    object({
      command: constant("serve"),
      logFormat: optional(
        option("--log-format", choice(["text", "json"] as const, { metavar: "FORMAT" }), {
          description: message`Write log lines as text (default) or JSON lines.`,
        }),
      ),
      logLevel: withDefault(
        option(
          "--log-level",
          choice(["debug", "info", "warning", "error"] as const, { metavar: "LEVEL" }),
          {
            description: message`The lowest level logged; ${"debug"} adds UDP replies.`,
          },
        ),
        "info" as const,
      ),
      readyFile: optional(
        option("--ready-file", string({ metavar: "FILE" }), {
          description: message`Also write the ready record (JSON) to this file.`,
        }),
      ),
      grace: optional(
        option("--grace", float({ min: 0, max: 3600, metavar: "SECONDS" }), {
          description: message`How long open connections may finish at shutdown (default 5).`,
        }),
      ),
      maxConnections: optional(
        option("--max-connections", integer({ min: 1, max: 1_000_000, metavar: "N" }), {
          description: message`Open TCP connections at most, over every listener (default 10000).`,
        }),
      ),
      keepGoing: withDefault(
        flag("--keep-going", {
          description: message`Serve what bound even when some listeners fail.`,
        }),
        false,
      ),
      dashboard: optional(
        option("--dashboard", string({ metavar: "HOST:PORT" }), {
          description: message`Serve a live, read-only dashboard of socket names and arrivals \
at this address, such as ${"127.0.0.1:7080"}. The demo set serves one there by default.`,
        }),
      ),
    }),
  ),
  {
    brief: message`Bind listen specs and serve them.`,
    description: message`Bind every listen spec and hand each connection or datagram to the \
service configured for the socket name it arrived on. With no listener given, serve the \
built-in demo set.`,
  },
);

const check = command(
  "check",
  merge(
    specSources,
    object({
      command: constant("check"),
      format: withDefault(
        option("--format", choice(["text", "json"] as const, { metavar: "FORMAT" }), {
          description: message`Write the findings as text (default) or one JSON document.`,
        }),
        "text" as const,
      ),
    }),
  ),
  {
    brief: message`Predict every bind problem without binding anything.`,
    description: message`Check the same listen specs as ${"serve"} against the rules of this \
operating system (conflicting socket names, privileged ports, addresses this host lacks, the \
ephemeral port range) and against the sockets other programs hold now (looked up with ${"ss"}), \
without binding anything. Exits 0 when the plan would bind, 1 when it would fail, 2 for bad \
input, 3 when no rule fails but the sockets that exist could not be looked up.`,
  },
);

const services = command(
  "services",
  object({ command: constant("services") }),
  { brief: message`List the services with their RFC and what they do.` },
);

/** The parser for muxd's whole command line. */
export const muxdParser = or(serve, check, services);

/** What {@linkcode muxdParser} gives for arguments that parse: one command and its options. */
export type MuxdCommand = InferValue<typeof muxdParser>;

const EXAMPLE_LINES = [
  "muxd serve",
  "muxd serve -l tcp://127.0.0.1:7007=echo -l udp://[::1]:1060=size",
  "muxd serve -l tcp://127.0.0.1:0=whoami --ready-file ready.json",
  "muxd serve --config muxd.jsonc --log-format json",
  "muxd check -l tcp://0.0.0.0:7007=echo -l tcp://127.0.0.1:7007=whoami",
  "muxd services",
] as const;

/**
 * Examples shown at the end of `muxd --help`.
 *
 * @returns The examples, one command line each.
 */
export function examples(): Message {
  return EXAMPLE_LINES.flatMap((line, i) => i === 0 ? [text(line)] : [lineBreak(), text(line)]);
}
