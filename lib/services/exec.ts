/**
 * The exec service (inetd's own job): runs a program per TCP connection or
 * per UDP datagram, the conversation as its standard input and output.
 *
 * @module
 */

import { type OptionValues, trueOrFalse, wholeNumber } from "./options.ts";
import { decimal } from "./options.ts";
import { readableEnvNames, runnableCommand } from "./exec_command.ts";
import { KILL_GRACE_MS, type Program, settlesWithin, startProgram } from "./exec_process.ts";
import { readChunks } from "./read_chunks.ts";
import type { Service, ServiceContext, Stream } from "./service.ts";
import { writeAll } from "./write_all.ts";
import { LINGER_BYTES, LINGER_MS } from "./linger.ts";

/**
 * How long, in ms, a TCP connection or a datagram waits for a place when
 * max-procs or max-procs-per-source is reached, before it is refused with
 * the reason.
 */
export const PLACE_WAIT_MS = 10_000;

/** The largest UDP reply: a datagram's payload over IPv4. */
const MAX_UDP_REPLY = 65_507;

/** exec's spec options: what to run, and its caps. */
export const EXEC_OPTIONS = [
  {
    key: "run",
    field: "run",
    description: "The program, then its arguments, separated by commas (or a JSON array of " +
      "strings, for arguments that hold a comma); run without a shell. A name without a / is " +
      "looked up on muxd's PATH when muxd starts. Required.",
    default: "",
    parse: runnableCommand,
  },
  {
    key: "env",
    field: "env",
    description: "Names of muxd's own environment variables to pass on, separated by commas " +
      "(PATH,LANG); muxd needs --allow-env for them.",
    default: "",
    parse: readableEnvNames,
  },
  {
    key: "group",
    field: "group",
    description: "true: each program leads a process group of its own (started through setsid), " +
      "which muxd ends with it; false: started directly, faster (one exec, not two), and only " +
      "the program itself is ended.",
    default: "true",
    parse: trueOrFalse,
  },
  {
    key: "max-procs",
    field: "maxProcs",
    description: "Programs running at once for this listener; a connection or datagram over it " +
      "gets none.",
    default: "32",
    parse: wholeNumber(1, 100_000),
  },
  {
    key: "max-procs-per-source",
    field: "maxProcsPerSource",
    description: "Programs running at once for one client address, across every exec listener.",
    default: "8",
    parse: wholeNumber(1, 100_000),
  },
  {
    key: "max-seconds",
    field: "maxSeconds",
    description: "How long one program may run; then muxd sends it SIGTERM, and SIGKILL 1 s later.",
    default: "30",
    parse: decimal(0, 86_400, "seconds", true),
  },
  {
    key: "max-output",
    field: "maxOutput",
    description: "Bytes one program may write to its standard output: over TCP it is then " +
      "ended; over UDP it is the reply's size, and a longer output gets no reply.",
    default: `${1024 * 1024}`,
    parse: wholeNumber(0, Infinity, "bytes"),
  },
] as const;

/** exec's parsed options. */
export type ExecOptions = OptionValues<typeof EXEC_OPTIONS>;

/**
 * exec, muxd's own: runs the `run` program without a shell.
 *
 * - TCP: one program per connection. What the client sends is its standard
 *   input and the client's half-close closes it; its standard output is
 *   sent to the client, and its end half-closes the connection. The
 *   connection ends once the program has exited and its output is sent.
 * - UDP: one program per datagram: the datagram is its standard input, and
 *   its standard output, if any, is the one reply, through the same guards
 *   as every UDP reply.
 *
 * Its standard error goes to the log, one event per line. It learns both
 * socket names from its environment (`PROTO`, `TCPLOCALIP`, `TCPREMOTEPORT`,
 * ...: see {@linkcode execEnvironment}).
 *
 * @example The listen specs that run it
 * ```text
 * tcp://127.0.0.1:7300=exec?run=python3,docs/examples/connection_received.py
 * udp://127.0.0.1:7301=exec?run=python3,docs/examples/udp_size.py
 * ```
 */
export const exec: Service<ExecOptions> = {
  name: "exec",
  rfc: null,
  summary: "Runs a program per connection (or datagram), the conversation as its standard " +
    "input and output, like inetd.",
  options: EXEC_OPTIONS,
  // Each running program holds 4 (standard input, output and error, and the
  // handle Deno waits on), counted on Linux; max-procs run at once.
  files: (options) => ({ perConnection: 1, besides: options.maxProcs * 4 }),
  async tcp(stream, ctx) {
    // A connection over max-procs waits its turn, as tcpserver defers one.
    const program = await startProgram(ctx, ctx.options, PLACE_WAIT_MS);
    if (program === null) return;
    const input = pipeIn(stream, program, ctx);
    const stdout = program.stdout.getReader();
    const output = pipeOut(stdout, program, stream, ctx.options.maxOutput);
    const exit = await program.exited;
    // The program is gone; what it wrote is sent. A process it left behind
    // that still holds its output open is being ended with its group; where
    // muxd cannot end a group, it stops reading after a grace.
    if (!await settlesWithin(output, KILL_GRACE_MS)) {
      await stdout.cancel();
      await output;
    }
    // What the client still sends is read and dropped for a while, so that
    // closing cannot reset the reply away.
    await settlesWithin(input, LINGER_MS);
    return { exit };
  },
  udp(request, ctx) {
    // The request lives in the socket's buffer, which the next datagram fills.
    return answerDatagram(request.slice(), ctx);
  },
};

/** Runs the program for one datagram; resolves to its output, or `null` for no reply. */
async function answerDatagram(
  request: Uint8Array,
  ctx: ServiceContext<ExecOptions>,
): Promise<Uint8Array | null> {
  // A datagram over max-procs waits its turn too, as many as max-procs of
  // them per listener; past that, it is dropped at once.
  const program = await startProgram(ctx, ctx.options, PLACE_WAIT_MS, ctx.options.maxProcs);
  if (program === null) return null;
  const limit = Math.min(ctx.options.maxOutput, MAX_UDP_REPLY);
  const overLimit = limit === ctx.options.maxOutput ? "output-limit" : "datagram-limit";
  const writing = (async () => {
    const writer = program.stdin.getWriter();
    try {
      await writer.write(request);
      await writer.close();
    } catch (error) {
      // The program exited without reading it all.
      if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
    }
  })();
  const stdout = program.stdout.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reading = (async () => {
    try {
      for (;;) {
        const { value: chunk, done } = await stdout.read();
        if (done) return;
        size += chunk.length;
        if (size > limit) {
          program.end(overLimit);
          await stdout.cancel();
          return;
        }
        chunks.push(chunk);
      }
    } finally {
      stdout.releaseLock();
    }
  })();
  try {
    await program.exited;
    // A process the program left behind may hold its output open; see tcp.
    if (!await settlesWithin(reading, KILL_GRACE_MS)) await stdout.cancel();
    await reading;
  } finally {
    await writing;
  }
  if (size > limit || size === 0) return null;
  const reply = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    reply.set(chunk, at);
    at += chunk.length;
  }
  return reply;
}

/**
 * Copies the client's bytes to the program's standard input until the
 * client half-closes (then closes it), and goes on reading and dropping
 * them once the program stops reading, up to {@linkcode LINGER_BYTES}.
 * Ends the program when the connection breaks. Never rejects.
 */
async function pipeIn(stream: Stream, program: Program, ctx: ServiceContext): Promise<void> {
  const writer = program.stdin.getWriter();
  let open = true;
  let dropped = 0;
  try {
    for await (const chunk of readChunks(stream, ctx.buffers)) {
      if (open) {
        try {
          await writer.write(chunk);
          continue;
        } catch (error) {
          if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
          open = false;
        }
      }
      dropped += chunk.length;
      if (dropped > LINGER_BYTES) return;
    }
  } catch {
    // The connection broke or was closed (reset, idle, shutdown): its
    // program has nobody left to talk to.
    program.end("closed");
  } finally {
    if (open) await writer.close().catch(() => writer.releaseLock());
  }
}

/**
 * Copies the program's standard output to the client, then half-closes the
 * connection. Ends the program when the client is gone or the output passes
 * `maxOutput`. Never rejects.
 */
async function pipeOut(
  stdout: ReadableStreamDefaultReader<Uint8Array>,
  program: Program,
  stream: Stream,
  maxOutput: number,
): Promise<void> {
  let sent = 0;
  let finished = false;
  try {
    for (;;) {
      const { value: chunk, done } = await stdout.read();
      if (done) break;
      if (sent + chunk.length > maxOutput) {
        await writeAll(stream, chunk.subarray(0, maxOutput - sent));
        program.end("output-limit");
        // What fits is all the client gets: its end of stream follows now.
        await stream.closeWrite();
        return;
      }
      await writeAll(stream, chunk);
      sent += chunk.length;
    }
    finished = true;
    await stream.closeWrite();
  } catch {
    // The client is gone (reset, closed): its program has nobody to write to.
    program.end("closed");
  } finally {
    // What the program still writes goes nowhere: the pipe is closed.
    if (!finished) await stdout.cancel();
    stdout.releaseLock();
  }
}
