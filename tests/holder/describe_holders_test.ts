import assert from "node:assert/strict";
import {
  describeHolders,
  type Holder,
  type HolderQuery,
  holdersFix,
} from "../../lib/holder/mod.ts";

const QUERY: HolderQuery = { transport: "tcp", address: "127.0.0.1", port: 7007 };

const LISTENING: Holder = {
  transport: "tcp",
  local: { address: "0.0.0.0", port: 7007 },
  remote: null,
  state: "LISTEN",
  kind: "listening",
  uid: 1000,
  inode: 52133,
  process: { pid: 1234, name: "python3" },
};

const TIME_WAIT: Holder = {
  transport: "tcp",
  local: { address: "127.0.0.1", port: 7007 },
  remote: { address: "127.0.0.1", port: 45678 },
  state: "TIME-WAIT",
  kind: "time-wait",
  uid: 0,
  inode: 0,
  process: null,
  processUnknownReason: "no process owns it; the kernel keeps it for about 60 s after close",
};

const CONNECTION: Holder = {
  transport: "tcp",
  local: { address: "::1", port: 7007 },
  remote: { address: "::1", port: 8080 },
  state: "ESTAB",
  kind: "connection",
  uid: 1000,
  inode: 61000,
  process: { pid: 77, name: "curl" },
};

const UDP_BOUND: Holder = {
  transport: "udp",
  local: { address: "127.0.0.1", port: 7007 },
  remote: null,
  state: "UNCONN",
  kind: "bound",
  uid: 0,
  inode: 7001,
  process: { pid: 42, name: "deno" },
};

const UDP_CONNECTED: Holder = {
  ...UDP_BOUND,
  remote: { address: "127.0.0.53", port: 53 },
  state: "ESTAB",
  kind: "connection",
};

const DUAL_STACK: Holder = {
  ...LISTENING,
  local: { address: "::", port: 7007 },
  v6Only: false,
  process: { pid: 14653, name: "deno" },
};

const ON_DEVICE: Holder = {
  ...UDP_BOUND,
  local: { address: "fe80::fc:ff:fe00:1", port: 7007 },
  interface: "eth0",
  v6Only: true,
};

const CASES: readonly [what: string, holders: readonly Holder[], text: string][] = [
  [
    "a listening socket and its process",
    [LISTENING],
    "held by a listening socket tcp 0.0.0.0:7007 of process 1234 (python3)",
  ],
  [
    "a TIME-WAIT connection and why no process owns it",
    [TIME_WAIT],
    "held by a connection tcp 127.0.0.1:7007 -> 127.0.0.1:45678 in TIME-WAIT " +
    "(no process owns it; the kernel keeps it for about 60 s after close)",
  ],
  [
    "an IPv6 connection in brackets, with its state",
    [CONNECTION],
    "held by a connection tcp [::1]:7007 -> [::1]:8080 in ESTAB of process 77 " +
    "(curl)",
  ],
  [
    "bound and connected UDP sockets",
    [UDP_BOUND, UDP_CONNECTED],
    "held by a bound socket udp 127.0.0.1:7007 of process 42 (deno); " +
    "a connected socket udp 127.0.0.1:7007 -> 127.0.0.53:53 of process 42 (deno)",
  ],
  [
    "a socket shared by several processes",
    [{ ...LISTENING, otherPids: [1235, 1236] }],
    "held by a listening socket tcp 0.0.0.0:7007 of process 1234 (python3) " +
    "and 2 other processes",
  ],
  [
    "a dual-stack [::] listener, which holds the port on IPv4 too",
    [DUAL_STACK],
    "held by a listening socket tcp [::]:7007 (dual-stack) of process 14653 (deno)",
  ],
  [
    "an IPv6-only [::] listener without the dual-stack mark",
    [{ ...DUAL_STACK, v6Only: true }],
    "held by a listening socket tcp [::]:7007 of process 14653 (deno)",
  ],
  [
    "the interface a socket is bound to, as ss shows it",
    [{ ...LISTENING, local: { address: "127.0.0.1", port: 7007 }, interface: "lo" }, ON_DEVICE],
    "held by a listening socket tcp 127.0.0.1%lo:7007 of process 1234 (python3); " +
    "a bound socket udp [fe80::fc:ff:fe00:1]%eth0:7007 of process 42 (deno)",
  ],
  [
    "a socket shared with one other process",
    [{ ...LISTENING, otherPids: [1235] }],
    "held by a listening socket tcp 0.0.0.0:7007 of process 1234 (python3) and 1 other process",
  ],
  [
    "up to three holders and how many more",
    [LISTENING, CONNECTION, TIME_WAIT, TIME_WAIT, TIME_WAIT],
    "held by a listening socket tcp 0.0.0.0:7007 of process 1234 (python3); " +
    "a connection tcp [::1]:7007 -> [::1]:8080 in ESTAB of process 77 " +
    "(curl); a connection tcp 127.0.0.1:7007 -> 127.0.0.1:45678 in " +
    "TIME-WAIT (no process owns it; the kernel keeps it for about 60 s after close); and 2 more",
  ],
];

for (const [what, holders, text] of CASES) {
  Deno.test(`describeHolders() describes ${what}`, () => {
    assert.equal(describeHolders({ supported: true, holders }, QUERY), text);
  });
}

Deno.test("describeHolders() says when no socket was found, and what ss cannot see", () => {
  assert.equal(
    describeHolders({ supported: true, holders: [] }, QUERY),
    "no tcp socket on port 7007 was found by ss: it may have closed since, or be a socket bound " +
      "without listening (a program that called bind() and not yet listen() or connect()), which " +
      "ss does not list",
  );
});

Deno.test("holdersFix() says to wait when only the kernel holds the port, else to stop its program", () => {
  assert.match(holdersFix({ supported: true, holders: [TIME_WAIT] }), /^wait about 60 s/);
  // A server's closed connections on its own port: another port below the range can have them too.
  const range = { first: 32768, last: 60999 };
  assert.equal(
    holdersFix({ supported: true, holders: [TIME_WAIT] }, range),
    "wait about 60 s, until the kernel forgets the closed connections, or choose another port.",
  );
  // A client's, from its ephemeral port: a port below the range meets none.
  const client = {
    ...TIME_WAIT,
    local: { address: "127.0.0.1", port: 45678 },
    remote: { address: "127.0.0.1", port: 7007 },
  };
  assert.match(
    holdersFix({ supported: true, holders: [client] }, range),
    /or choose another port: one below 32768, outside the range the OS gives clients, meets none\.$/,
  );
  assert.equal(
    holdersFix({ supported: true, holders: [TIME_WAIT, LISTENING] }),
    "stop the program that holds it, or choose another port.",
  );
});

Deno.test("describeHolders() gives the reason when the lookup is not supported", () => {
  const reason = "holder lookup works on Linux only; on macOS run: lsof -nP -iTCP:7007";
  assert.equal(describeHolders({ supported: false, reason, holders: [] }, QUERY), reason);
});
