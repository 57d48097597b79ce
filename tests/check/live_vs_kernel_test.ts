/**
 * What `check` says about sockets that exist now matches reality: each test
 * holds a socket for real in this process (a listener, a UDP socket, a
 * client's connection, a connection in TIME-WAIT), asks checkLive() (which
 * runs the real `ss`), then really binds the planned listener: an error must
 * be refused by the kernel with AddrInUse, a note or nothing must bind, and
 * a warning is shown both ways ("may").
 */

import assert from "node:assert/strict";
import { bindAll } from "../../lib/bind/mod.ts";
import { checkLive, type Finding, readHostFacts, type Severity } from "../../lib/check/mod.ts";
import { buildPlan } from "../../lib/plan/mod.ts";
import { ssProblem } from "../_support/host.ts";
import { deliveries, freePort } from "../_support/socket.ts";
import { plainServerTimeWait } from "../_support/time_wait.ts";

const facts = await readHostFacts();

const NO_SS = await ssProblem();
if (NO_SS !== null) console.log(`live_vs_kernel_test.ts: ignored: ${NO_SS}`);

/** Sockets a test holds, the port its spec names, and how to let them go. */
interface Holding {
  /** The port the planned listener asks for. */
  readonly port: number;
  /** Closes what is still open. */
  close(): void;
}

/** The live finding for one spec: what `check` says about it now. */
async function liveFindingOf(spec: string): Promise<Finding | undefined> {
  const { plan, errors } = buildPlan([{ text: spec, source: { kind: "argument", index: 2 } }]);
  assert.deepEqual(errors, []);
  const live = await checkLive(plan.listeners, facts);
  assert.equal(live.checked, true, live.checked ? "" : live.reason);
  return live.checked ? live.findings[0] : undefined;
}

/** Binds the spec's listener for real: `true` when it binds, `false` on AddrInUse. */
function kernelBinds(spec: string): boolean {
  const { plan } = buildPlan([{ text: spec, source: { kind: "argument", index: 2 } }]);
  const { bound, failures } = bindAll(plan.listeners);
  for (const b of bound) b.socket.close();
  if (failures.length === 0) return true;
  assert.ok(failures[0].cause instanceof Deno.errors.AddrInUse, String(failures[0].cause));
  return false;
}

/** A TCP listener of this process. */
function tcpListener(hostname: string, reusePort = false): Holding {
  const port = freePort("::");
  const listener = Deno.listen({ hostname, port, reusePort });
  return { port, close: () => listener.close() };
}

/** A UDP socket of this process. */
function udpSocket(reuseAddress: boolean): Holding {
  const port = freePort("::");
  const socket = Deno.listenDatagram({
    transport: "udp",
    hostname: "127.0.0.1",
    port,
    reuseAddress,
  });
  return { port, close: () => socket.close() };
}

/**
 * A connection accepted on a port whose listener is closed since; with
 * `serverClosesFirst`, closed from the server side, which leaves it in
 * TIME-WAIT on that port.
 */
async function acceptedConnection(serverClosesFirst: boolean): Promise<Holding> {
  const port = freePort("::");
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  const client = await Deno.connect({ hostname: "127.0.0.1", port });
  const server = await listener.accept();
  listener.close();
  if (!serverClosesFirst) return { port, close: () => (server.close(), client.close()) };
  // The side that closes first keeps TIME-WAIT: here, the server's, on `port`.
  server.close();
  assert.equal(await client.read(new Uint8Array(1)), null);
  client.close();
  return { port, close: () => {} };
}

/**
 * A connection that a server which never set SO_REUSEADDR (a plain Python
 * socket server) closed first: its TIME-WAIT has no SO_REUSEADDR either,
 * and blocks a listener on the port for about 60 s.
 */
async function plainPythonTimeWait(): Promise<Holding> {
  const port = freePort("::");
  await plainServerTimeWait(port);
  return { port, close: () => {} };
}

/** A client's connection from its ephemeral port to a listener below 32768. */
async function clientConnection(): Promise<Holding> {
  const serverPort = freePort("::");
  const listener = Deno.listen({ hostname: "127.0.0.1", port: serverPort });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: serverPort });
  const server = await listener.accept();
  return {
    port: client.localAddr.port,
    close: () => (client.close(), server.close(), listener.close()),
  };
}

interface Case {
  /** What is held. */
  readonly held: string;
  /** Holds it. */
  readonly hold: () => Holding | Promise<Holding>;
  /** The planned spec, `P` for the port. */
  readonly spec: string;
  /** What `check` says: the rule's severity, or `null` for nothing. */
  readonly severity: Severity | null;
  /** Whether the kernel binds it (for a warning, what this host does). */
  readonly binds: boolean;
}

const dualStack = !facts.bindV6Only;

const CASES: readonly Case[] = [
  {
    held: "Deno.listen 127.0.0.1",
    hold: () => tcpListener("127.0.0.1"),
    spec: "tcp://127.0.0.1:P=echo",
    severity: "error",
    binds: false,
  },
  {
    held: "Deno.listen 127.0.0.1",
    hold: () => tcpListener("127.0.0.1"),
    spec: "tcp://127.0.0.2:P=echo",
    severity: null,
    binds: true,
  },
  {
    held: "Deno.listen 127.0.0.1",
    hold: () => tcpListener("127.0.0.1"),
    spec: "tcp://0.0.0.0:P=echo",
    severity: "error",
    binds: false,
  },
  {
    held: "Deno.listen 127.0.0.1",
    hold: () => tcpListener("127.0.0.1"),
    spec: "udp://127.0.0.1:P=echo",
    severity: null,
    binds: true,
  },
  {
    held: "Deno.listen 0.0.0.0",
    hold: () => tcpListener("0.0.0.0"),
    spec: "tcp://127.0.0.1:P=echo",
    severity: "error",
    binds: false,
  },
  {
    held: "Deno.listen [::]",
    hold: () => tcpListener("::"),
    spec: "tcp://127.0.0.1:P=echo",
    severity: dualStack ? "error" : null,
    binds: !dualStack,
  },
  {
    held: "Deno.listen 127.0.0.1 with reusePort",
    hold: () => tcpListener("127.0.0.1", true),
    spec: "tcp://127.0.0.1:P=echo?reuse=true",
    severity: "warning",
    binds: true,
  },
  {
    held: "Deno.listen 127.0.0.1",
    hold: () => tcpListener("127.0.0.1"),
    spec: "tcp://127.0.0.1:P=echo?reuse=true",
    severity: "warning",
    binds: false,
  },
  {
    held: "Deno.listenDatagram 127.0.0.1",
    hold: () => udpSocket(false),
    spec: "udp://127.0.0.1:P=echo",
    severity: "error",
    binds: false,
  },
  {
    held: "Deno.listenDatagram 127.0.0.1",
    hold: () => udpSocket(false),
    spec: "tcp://127.0.0.1:P=echo",
    severity: null,
    binds: true,
  },
  {
    held: "Deno.listenDatagram 127.0.0.1 with reuseAddress",
    hold: () => udpSocket(true),
    spec: "udp://127.0.0.1:P=echo?reuse=true",
    severity: "warning",
    binds: true,
  },
  {
    held: "a client's connection from its ephemeral port",
    hold: clientConnection,
    spec: "tcp://127.0.0.1:P=echo",
    severity: "error",
    binds: false,
  },
  {
    held: "an accepted connection whose listener closed",
    hold: () => acceptedConnection(false),
    spec: "tcp://127.0.0.1:P=echo",
    severity: "warning",
    binds: true,
  },
  // ss cannot tell these two apart: both are a warning.
  {
    held: "a connection its server (with SO_REUSEADDR, as Deno's) closed first, in TIME-WAIT",
    hold: () => acceptedConnection(true),
    spec: "tcp://127.0.0.1:P=echo",
    severity: "warning",
    binds: true,
  },
  {
    held:
      "a connection its server (a plain Python socket, no SO_REUSEADDR) closed first, in TIME-WAIT",
    hold: plainPythonTimeWait,
    spec: "tcp://127.0.0.1:P=echo",
    severity: "warning",
    binds: false,
  },
];

for (const c of CASES) {
  const said = c.severity ?? "nothing";
  Deno.test({
    name: `checkLive() agrees with the kernel: ${c.held}, then ${c.spec} -> ${said}, ` +
      `${c.binds ? "binds" : "AddrInUse"}`,
    ignore: NO_SS !== null,
    async fn() {
      const held = await c.hold();
      try {
        const spec = c.spec.replace(":P=", `:${held.port}=`);
        const finding = await liveFindingOf(spec);
        assert.equal(finding?.severity ?? null, c.severity, JSON.stringify(finding));
        if (c.severity !== null) {
          const closedOnly = c.held.includes("TIME-WAIT");
          assert.equal(finding?.rule, closedOnly ? "time-wait" : "in-use");
        }
        assert.equal(kernelBinds(spec), c.binds);
      } finally {
        held.close();
      }
    },
  });
}

Deno.test({
  name: "checkLive() says of a UDP name shared with ?reuse=true what the kernel does: the socket " +
    "bound last takes every datagram, none is split off to the other",
  ignore: NO_SS !== null,
  async fn() {
    const port = freePort("::");
    const options = { transport: "udp", hostname: "127.0.0.1", port, reuseAddress: true } as const;
    const first = Deno.listenDatagram(options);
    let handedOver = false;
    try {
      const finding = await liveFindingOf(`udp://127.0.0.1:${port}=echo?reuse=true`);
      assert.equal(finding?.severity, "warning");
      assert.doesNotMatch(finding?.fix ?? "", /splits/);
      assert.match(
        finding?.fix ?? "",
        new RegExp(
          `muxd's socket, bound last, takes every datagram sent to udp 127\\.0\\.0\\.1:${port}`,
        ),
      );
      // What muxd would do: bind beside it with SO_REUSEADDR, then see who gets the datagrams.
      const second = Deno.listenDatagram(options);
      handedOver = true;
      assert.deepEqual(await deliveries([first, second], port, 10), [0, 10]);
    } finally {
      if (!handedOver) first.close();
    }
  },
});
