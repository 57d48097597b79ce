/**
 * Runs a program with its standard output on a pseudo-terminal, as when a
 * person runs it in a terminal, and its standard error on a pipe. Python's
 * `pty` module opens the terminal (`--allow-run=python3`).
 *
 * @module
 */

/** What a program wrote, with its stdout on a terminal. */
export interface OnTerminal {
  /** The exit code. */
  readonly code: number;
  /** The program's process id. */
  readonly pid: number;
  /** What it wrote to the terminal (line ends as the terminal sends them, `\r\n`). */
  readonly stdout: string;
  /** What it wrote to standard error. */
  readonly stderr: string;
}

/**
 * The helper: runs argv[1:] with stdout on a pty; once stderr holds the
 * text in MUXD_UNTIL, sends SIGTERM; prints both outputs as one JSON object.
 * It sends SIGTERM after 20 s anyway, and SIGKILL 10 s later.
 */
const HELPER = `
import json, os, pty, select, signal, subprocess, sys, time
until = os.environ["MUXD_UNTIL"].encode()
master, slave = pty.openpty()
child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE)
os.close(slave)
out, err, deadline, signalled = b"", b"", time.monotonic() + 20, False
open_fds = [master, child.stderr.fileno()]
while open_fds:
    ready, _, _ = select.select(open_fds, [], [], 0.1)
    for fd in ready:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            chunk = b""
        if chunk == b"":
            open_fds.remove(fd)
        elif fd == master:
            out += chunk
        else:
            err += chunk
    if not signalled and (until in err or time.monotonic() > deadline):
        child.send_signal(signal.SIGTERM)
        signalled = True
    if time.monotonic() > deadline + 10:
        child.kill()
        break
child.wait()
print(json.dumps({"code": child.returncode, "pid": child.pid, "stdout": out.decode(), "stderr": err.decode()}))
`;

/**
 * Runs a program with stdout on a terminal until its stderr says `until`,
 * then stops it with SIGTERM.
 *
 * @param program The program, such as `"deno"`.
 * @param args Its arguments.
 * @param until Text on stderr that means it is ready to be stopped.
 * @returns Its exit code and outputs.
 */
export async function runOnTerminal(
  program: string,
  args: readonly string[],
  until: string,
): Promise<OnTerminal> {
  const out = await new Deno.Command("python3", {
    args: ["-c", HELPER, program, ...args],
    env: { MUXD_UNTIL: until, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout)) as OnTerminal;
}
