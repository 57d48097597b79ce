/**
 * The command line, declared with optique: `muxd serve`, `muxd check`,
 * `muxd services`. Each option comes from its row in the settings table
 * ({@linkcode SETTINGS}): its names, bounds, default and help.
 *
 * @module
 */

import { object, or } from "@optique/core/constructs";
import { lineBreak, type Message, message, text, value } from "@optique/core/message";
import { multiple, optional, withDefault } from "@optique/core/modifiers";
import { command, constant, flag, option } from "@optique/core/primitives";
import { choice, float, integer, string, type ValueParser } from "@optique/core/valueparser";
import type { InferValue, Parser } from "@optique/core/parser";
import type { NonEmptyString } from "@optique/core/nonempty";
import type { OptionName } from "@optique/core/usage";
import { type Given, keysOf, SETTINGS } from "../provision/settings.ts";
import type { Command, Setting } from "../provision/setting.ts";

/** The optique parser of one setting's command-line option. */
function optionOf(setting: Setting): Parser<"sync", unknown, unknown> {
  const names = setting.flags as readonly OptionName[] as [OptionName, ...OptionName[]];
  const description = helpMessage(setting.help);
  const metavar = ("metavar" in setting ? setting.metavar : "VALUE") as NonEmptyString;
  switch (setting.kind) {
    case "switch":
      return withDefault(flag(...names, { description }), false);
    case "list":
      return multiple(option(...names, string({ metavar }), { description }));
    case "text":
      return optional(option(...names, string({ metavar }), { description }));
    case "choice":
      return optional(
        option(...names, choice(setting.values as readonly NonEmptyString[], { metavar }), {
          description,
        }),
      );
    case "number": {
      const bounds = { min: setting.min, max: setting.max, metavar };
      const value: ValueParser<"sync", number> = setting.whole ? integer(bounds) : float(bounds);
      return optional(option(...names, value, { description }));
    }
  }
}

/** Help text as optique shows it: what is in backticks is a value, shown as typed. */
function helpMessage(help: string): Message {
  return help.split("`").map((part, i) => i % 2 === 1 ? value(part) : text(part));
}

/** The options of one command, one per setting it takes, in table order. */
function optionsOf<C extends Command>(
  name: C,
): { readonly [K in keyof Given<C>]: Parser<"sync", Given<C>[K], unknown> } {
  return Object.fromEntries(keysOf(name).map((key) => [key, optionOf(SETTINGS[key])])) as {
    readonly [K in keyof Given<C>]: Parser<"sync", Given<C>[K], unknown>;
  };
}

const serve = command(
  "serve",
  object({ command: constant("serve"), ...optionsOf("serve") }),
  {
    brief: message`Bind listen specs and serve them.`,
    description: message`Bind every listen spec and hand each connection or datagram to the \
service configured for the socket name it arrived on. With no listener given, serve the \
built-in demo set.`,
  },
);

const check = command(
  "check",
  object({ command: constant("check"), ...optionsOf("check") }),
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
  "muxd serve -l tcp://127.0.0.1:7007=echo -l 'udp://[::1]:1060=size'",
  "muxd serve -l tcp://127.0.0.1:0=whoami --ready-file ready.json",
  "muxd serve --config muxd.jsonc --log-format json",
  "muxd check --public -l tcp://0.0.0.0:7007=echo -l tcp://127.0.0.1:7007=whoami",
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
