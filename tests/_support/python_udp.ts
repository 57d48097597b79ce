/**
 * A UDP client as the book writes it: Python's `socket`, either connected
 * (`connect()`, `send()`, `recv()`: the kernel drops a reply from any other
 * address) or not (`sendto()`, `recvfrom()`: any reply is taken, and its
 * source is shown). Runs `python3`, optionally inside a network namespace.
 *
 * @module
 */

/** What one exchange gave. */
export interface PythonUdpResult {
  /** The reply's text, or `null` when none came before the timeout. */
  readonly reply: string | null;
  /** The address the reply came from, as Python's `recvfrom()` gives it (unconnected only). */
  readonly from: string | null;
  /** An error the client saw, such as `ConnectionRefusedError`, or `null`. */
  readonly error: string | null;
}

const SCRIPT = `
import json, socket, sys
host, port, connected, timeout = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "connected", float(sys.argv[4])
family = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(family, socket.SOCK_DGRAM)
s.settimeout(timeout)
out = {"reply": None, "from": None, "error": None}
try:
    if connected:
        s.connect((host, port))
        s.send(b"who am I talking to?")
        out["reply"] = s.recv(65535).decode()
    else:
        s.sendto(b"who am I talking to?", (host, port))
        data, address = s.recvfrom(65535)
        out["reply"], out["from"] = data.decode(), address[0]
except socket.timeout:
    pass
except OSError as e:
    out["error"] = type(e).__name__
print(json.dumps(out))
`;

/**
 * Sends one datagram to `host:port` and waits up to `timeoutSeconds` for a reply.
 *
 * @param host The address to send to.
 * @param port The port.
 * @param options `connected`: call `connect()` first; `namespace`: run inside
 *   this network namespace (`ip netns exec`); `timeoutSeconds`: how long to wait.
 * @returns The reply, where it came from, or the error.
 */
export async function pythonUdp(
  host: string,
  port: number,
  options: {
    readonly connected: boolean;
    readonly namespace?: string;
    readonly timeoutSeconds?: number;
  },
): Promise<PythonUdpResult> {
  const python = [
    "-c",
    SCRIPT,
    host,
    `${port}`,
    options.connected ? "connected" : "unconnected",
    `${options.timeoutSeconds ?? 2}`,
  ];
  const [program, args] = options.namespace === undefined
    ? ["python3", python]
    : ["ip", ["netns", "exec", options.namespace, "python3", ...python]];
  const out = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`python3 failed (${out.code}): ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(text) as PythonUdpResult;
}
