/**
 * TIME-WAIT that blocks a listener: a connection that a plain Python socket
 * server closed first. Runs `python3`.
 *
 * @module
 */

import assert from "node:assert/strict";

/**
 * Leaves a server's TIME-WAIT on `port` of 127.0.0.1: a plain Python socket
 * server, which never sets SO_REUSEADDR, accepts one connection and closes
 * it first. Its TIME-WAIT has no SO_REUSEADDR either, and blocks a listener
 * on the port for about 60 s.
 *
 * @param port The port, free on 127.0.0.1.
 * @throws {assert.AssertionError} When `python3` fails, with its stderr.
 */
export async function plainServerTimeWait(port: number): Promise<void> {
  const script = "import socket, sys\n" +
    "s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen()\n" +
    "c = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n" +
    "a, _ = s.accept(); a.close(); c.recv(1); c.close(); s.close()\n";
  const done = await new Deno.Command("python3", { args: ["-c", script, `${port}`] }).output();
  assert.ok(done.success, new TextDecoder().decode(done.stderr));
}
