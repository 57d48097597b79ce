/**
 * An upstream that never answers a handshake: a Python listener with a
 * backlog of 0 that never accepts, its queue filled by its own clients, so
 * the kernel drops further SYNs, as a silent host does (`--allow-run=python3`).
 *
 * @module
 */

/** The silent upstream, running until disposed. */
export interface SilentUpstream extends AsyncDisposable {
  /** Its port on 127.0.0.1. */
  readonly port: number;
}

const PROGRAM = "import socket, sys\n" +
  "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)\n" +
  "fill = [socket.socket() for _ in range(3)]\n" +
  "for c in fill: c.setblocking(False); c.connect_ex(s.getsockname())\n" +
  "print(s.getsockname()[1], flush=True)\n" +
  "sys.stdin.read()\n";

/**
 * Starts a silent upstream on 127.0.0.1.
 *
 * @returns It, with its port; disposing ends it.
 */
export async function silentUpstream(): Promise<SilentUpstream> {
  const child = new Deno.Command("python3", {
    args: ["-c", PROGRAM],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  // Its port straight from stdout, whose reader is cancelled at the end.
  const reader = child.stdout.getReader();
  const stop = async () => {
    await child.stdin.close();
    await reader.cancel();
    await child.status;
  };
  try {
    const { value } = await reader.read();
    const port = Number(new TextDecoder().decode(value).trim());
    return { port, [Symbol.asyncDispose]: stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
