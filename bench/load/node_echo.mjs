// The load benchmark's Node peer: the plain echo server a Node programmer
// writes with `net` and `dgram`, TCP and UDP on one port.
//
//   node bench/load/node_echo.mjs 127.0.0.1 24050   # prints "ready 24050" once bound
//
// Run with node, not deno. It stops on SIGTERM or SIGINT.

import net from "node:net";
import dgram from "node:dgram";
import process from "node:process";

const [host, portText] = process.argv.slice(2);
const port = Number(portText);

const tcp = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.pipe(socket);
  socket.on("error", () => socket.destroy());
});
tcp.on("error", (error) => {
  console.error(`tcp: ${error.message}`);
  process.exit(1);
});

const udp = dgram.createSocket("udp4");
udp.on("message", (message, remote) => udp.send(message, remote.port, remote.address));
udp.on("error", (error) => {
  console.error(`udp: ${error.message}`);
  process.exit(1);
});

tcp.listen({ host, port, backlog: 4096 }, () => {
  udp.bind({ address: host, port: tcp.address().port }, () => {
    console.log(`ready ${tcp.address().port}`);
  });
});

const stop = () => {
  udp.close();
  tcp.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
