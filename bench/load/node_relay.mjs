// The load benchmark's Node relay: the plain TCP and UDP relay a Node
// programmer writes with `net` and `dgram`, in front of an upstream.
//
//   node bench/load/node_relay.mjs 127.0.0.1 0 127.0.0.1 24030   # prints "ready PORT" once bound
//
// TCP: one upstream connection per client, `pipe()` each way, a half-close
// passed on as one. UDP: one upstream socket per client socket name, so that
// each reply goes back to the client it answers; a session idle for 30 s ends.
// Run with node, not deno. It stops on SIGTERM or SIGINT.

import net from "node:net";
import dgram from "node:dgram";
import process from "node:process";

const [host, portText, upHost, upPortText] = process.argv.slice(2);
const upPort = Number(upPortText);
const SESSION_IDLE_MS = 30_000;

const tcp = net.createServer({ allowHalfOpen: true }, (client) => {
  const upstream = net.connect({ host: upHost, port: upPort, allowHalfOpen: true });
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  client.pipe(upstream);
  upstream.pipe(client);
  const end = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on("error", end);
  upstream.on("error", end);
  client.on("close", () => upstream.destroy());
  upstream.on("close", () => client.end());
});
tcp.on("error", (error) => {
  console.error(`tcp: ${error.message}`);
  process.exit(1);
});

const udp = dgram.createSocket("udp4");
/** @type {Map<string, { socket: dgram.Socket, last: number }>} */
const sessions = new Map();
udp.on("message", (message, remote) => {
  const key = `${remote.address}:${remote.port}`;
  let session = sessions.get(key);
  if (!session) {
    const socket = dgram.createSocket("udp4");
    session = { socket, last: Date.now() };
    const s = session;
    socket.on("message", (reply) => {
      s.last = Date.now();
      udp.send(reply, remote.port, remote.address);
    });
    socket.on("error", () => {
      socket.close();
      sessions.delete(key);
    });
    sessions.set(key, session);
  }
  session.last = Date.now();
  session.socket.send(message, upPort, upHost);
});
udp.on("error", (error) => {
  console.error(`udp: ${error.message}`);
  process.exit(1);
});
const sweeper = setInterval(() => {
  const now = Date.now();
  for (const [key, session] of sessions) {
    if (now - session.last > SESSION_IDLE_MS) {
      session.socket.close();
      sessions.delete(key);
    }
  }
}, 5000);

tcp.listen({ host, port: Number(portText), backlog: 4096 }, () => {
  udp.bind({ address: host, port: tcp.address().port }, () => {
    console.log(`ready ${tcp.address().port}`);
  });
});

const stop = () => {
  clearInterval(sweeper);
  for (const session of sessions.values()) session.socket.close();
  udp.close();
  tcp.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
