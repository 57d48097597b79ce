/**
 * muxd: one process binds many socket names and hands each connection or
 * datagram to the service configured for the socket name it arrived on.
 *
 * @module
 */

import { message } from "@optique/core/message";
import { run } from "@optique/run";
import denoJson from "./deno.json" with { type: "json" };
import { examples, muxdParser, serve, servicesTable } from "./lib/cli/mod.ts";

if (import.meta.main) {
  const args = run(muxdParser, {
    programName: "muxd",
    help: "both",
    version: denoJson.version,
    errorExitCode: 2,
    brief: message`muxd: see how the OS demultiplexes traffic by socket name.`,
    description: message`One process binds many socket names (TCP and UDP, IPv4 and IPv6, \
several addresses, one port) and hands every connection or datagram to the service \
configured for the socket name it arrived on.`,
    examples: examples(),
  });
  switch (args.command) {
    case "services":
      console.log(servicesTable());
      break;
    case "serve":
      Deno.exitCode = await serve(args, Deno.args);
      break;
  }
}
