/**
 * The UDP guards that only act on sources outside loopback, seen from a real
 * second host: two network namespaces joined by a veth pair, addresses from
 * the documentation range 198.51.100.0/24. muxd serves daytime, chargen and
 * echo?reply-rate=5 on 198.51.100.1; the client at 198.51.100.2 checks that
 * a 1-byte request to daytime gets no reply (amplification) while a 100-byte
 * one gets the daytime line, that chargen's reply (0 to 512 characters) is
 * cut to the request's size, and that of 30 quick echo requests only the burst (twice the reply
 * rate, plus what refills meanwhile) is answered, the rest suppressed as
 * "rate". Runs as root with iproute2; ignored with the reason otherwise.
 */

import assert from "node:assert/strict";
import type { ServerEvent } from "../../lib/events/mod.ts";
import { logEvents } from "../_support/log.ts";
import { chargenUdpLength } from "../../lib/services/mod.ts";
import { startMuxd } from "../_support/process.ts";
import { CLIENT_ADDRESS, namespaceProblem, SERVER_ADDRESS, TwoHosts } from "./_two_hosts.ts";

const ECHO_REQUESTS = 30;
const REPLY_RATE = 5;

const problem = await namespaceProblem("guard");
if (problem) console.log(`netns guard tests ignored: ${problem}`);

/**
 * A small client run with `deno eval` inside the client's namespace: sends
 * `count` datagrams to echo back to back, then counts the replies for a second.
 */
function burstScript(port: number, count: number): string {
  return `
const socket = Deno.listenDatagram({ transport: "udp", hostname: "${CLIENT_ADDRESS}", port: 0 });
const target = { transport: "udp", hostname: "${SERVER_ADDRESS}", port: ${port} };
for (let i = 0; i < ${count}; i++) await socket.send(new TextEncoder().encode("ping " + i), target);
let replies = 0;
const timer = setTimeout(() => socket.close(), 1000);
try {
  for (;;) {
    await socket.receive();
    replies++;
  }
} catch (error) {
  if (!(error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted)) {
    throw error;
  }
}
clearTimeout(timer);
console.log(JSON.stringify({ replies }));
`;
}

Deno.test({
  name: "muxd serve on a veth address limits UDP replies to a source outside loopback: " +
    "amplification (suppressed or cut) and reply-rate",
  ignore: problem !== null,
  async fn() {
    // Disposed in reverse: muxd stops before the namespaces go.
    await using hosts = await TwoHosts.create("guard");
    {
      await using muxd = await startMuxd(
        [
          "serve",
          "--public",
          "--log-format",
          "json",
          "-l",
          `udp://${SERVER_ADDRESS}:0=daytime`,
          "-l",
          `udp://${SERVER_ADDRESS}:0=chargen`,
          "-l",
          `udp://${SERVER_ADDRESS}:0=echo?reply-rate=${REPLY_RATE}`,
        ],
        hosts.muxdOnServer,
      );
      const [daytime, chargen, echo] = [0, 1, 2].map((i) => `${muxd.port(i)}`);
      const udp = (port: string, input: string) =>
        hosts.run(hosts.client, "nc", ["-u", "-w1", SERVER_ADDRESS, port], input);
      const [tiny, large, cut, burst] = await Promise.all([
        udp(daytime, "x"),
        udp(daytime, "y".repeat(99) + "\n"),
        udp(chargen, "0123456789"),
        hosts.run(hosts.client, "deno", [
          "eval",
          "--unstable-net",
          burstScript(Number(echo), ECHO_REQUESTS),
        ]),
      ]);

      assert.equal(tiny.stdout.length, 0, `a 1-byte request got ${JSON.stringify(tiny.text)}`);
      assert.match(large.text, /^\w+, \w+ \d+, \d{4} \d\d:\d\d:\d\d-UTC\r?\n$/, large.stderr);
      const events = logEvents(muxd.stderr());
      // chargen's reply holds chargenUdpLength() characters for the client and the second (the
      // service reads the clock just after the datagram's event): more than 10 are cut to 10.
      const request = events.find((e): e is Extract<ServerEvent, { type: "datagram" }> =>
        e.type === "datagram" && `${e.local.port}` === chargen
      );
      assert.ok(request, "chargen's datagram event");
      const length = [request.time, request.time + 1000]
        .map((t) => chargenUdpLength(request.remote, new Date(t)))
        .find((n) => Math.min(n, 10) === cut.stdout.length) ?? -1;
      assert.equal(cut.text, "!\"#$%&'()*".slice(0, Math.min(length, 10)), "chargen's reply");
      assert.equal(burst.code, 0, burst.stderr);
      const { replies } = JSON.parse(burst.text) as { replies: number };
      // The burst is twice the rate; a few more may refill while the requests arrive.
      assert.ok(
        replies >= 2 * REPLY_RATE && replies <= 2 * REPLY_RATE + 2,
        `${replies} echo replies of ${ECHO_REQUESTS}`,
      );

      const suppressed = (port: string) =>
        events.filter((e): e is Extract<ServerEvent, { type: "reply-suppressed" }> =>
          e.type === "reply-suppressed" && `${e.local.port}` === port
        );
      assert.deepEqual(
        suppressed(daytime).map((e) => [e.reason, e.remote.address, e.bytesIn, e.bytesOut]),
        [["amplification", CLIENT_ADDRESS, 1, 0]],
      );
      assert.deepEqual(
        suppressed(chargen).map((e) => [e.reason, e.bytesIn, e.bytesOut]),
        length > 10 ? [["amplification", 10, 10]] : [],
        `chargen's reply of ${length} characters to a 10-byte request`,
      );
      const limited = suppressed(echo);
      assert.ok(limited.every((e) => e.reason === "rate" && e.bytesOut === 0));
      assert.equal(limited.length, ECHO_REQUESTS - replies);
      console.log(
        `from ${CLIENT_ADDRESS}: daytime 1 B -> no reply, 100 B -> ${large.stdout.length} B; ` +
          `chargen 10 B -> ${cut.stdout.length} B; echo ${ECHO_REQUESTS} requests -> ` +
          `${replies} replies, ${limited.length} suppressed as "rate"`,
      );
    }
  },
});
