/**
 * UDP wildcards on a real second host: the server's veth carries two
 * addresses from 198.51.100.0/24 (and its loopback 127.0.0.2 besides
 * 127.0.0.1), so a reply from a socket on the wildcard leaves from the
 * primary address whatever was asked. A connected Python client sends to the
 * secondary address: muxd's per-address sockets answer from it, the kernel's
 * wildcard does not, and an address added later is served after a SIGHUP.
 */

import assert from "node:assert/strict";
import { startMuxd } from "../_support/process.ts";
import { pythonUdp } from "../_support/python_udp.ts";
import { CLIENT_ADDRESS, namespaceProblem, SERVER_ADDRESS, TwoHosts } from "./_two_hosts.ts";

/** A second address on the server's veth, after SERVER_ADDRESS. */
const SECONDARY = "198.51.100.3";
/** An address the server gets while muxd runs. */
const LATER = "198.51.100.4";

const problem = await namespaceProblem("udpwild");
if (problem) console.log(`netns UDP wildcard tests ignored: ${problem}`);

async function ip(...args: string[]): Promise<void> {
  const out = await new Deno.Command("ip", { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

Deno.test({
  name: "muxd serve answers a connected UDP client from the address it asked through " +
    "udp://0.0.0.0:P, not through ?wildcard=kernel, and binds an address added later on SIGHUP",
  ignore: problem !== null,
  async fn() {
    await using hosts = await TwoHosts.create("udpwild");
    await ip("-n", hosts.server, "addr", "add", `${SECONDARY}/24`, "dev", hosts.serverLink);
    await ip("-n", hosts.server, "addr", "add", "127.0.0.2/8", "dev", "lo");
    const dir = await Deno.makeTempDir({ prefix: "muxd-udpwild-" });
    try {
      // A fresh namespace: no other program holds these ports. The whoami
      // reply is larger than the request: amplification allows it to a peer
      // outside loopback.
      const config = `${dir}/muxd.jsonc`;
      await Deno.writeTextFile(
        config,
        JSON.stringify({
          listen: [
            "udp://0.0.0.0:7401=whoami?amplification=20",
            "udp://0.0.0.0:7402=whoami?wildcard=kernel&amplification=20",
          ],
        }),
      );
      await using muxd = await startMuxd(
        ["serve", "--public", "--config", config],
        hosts.muxdOnServer,
      );
      assert.deepEqual(
        muxd.ready.sockets.map((s) => `${s.address}:${s.port}`).sort(),
        [
          "0.0.0.0:7402",
          "127.0.0.1:7401",
          "127.0.0.2:7401",
          `${SECONDARY}:7401`,
          `${SERVER_ADDRESS}:7401`,
        ].sort(),
      );
      const client = { connected: true, namespace: hosts.client } as const;

      // Per address: the reply leaves from the secondary address, as asked.
      const asked = await pythonUdp(SECONDARY, 7401, client);
      assert.equal(asked.error, null);
      assert.match(asked.reply ?? "(no reply)", /^local: 198\.51\.100\.3:7401$/m);
      assert.match(asked.reply ?? "", /^remote: 198\.51\.100\.2:\d+$/m);
      // On the server's own loopback, 127.0.0.2 is listed once added, and answers as itself.
      const lo2 = await pythonUdp("127.0.0.2", 7401, { connected: true, namespace: hosts.server });
      assert.match(lo2.reply ?? "(no reply)", /^local: 127\.0\.0\.2:7401$/m);

      // The kernel's wildcard answers from the primary address: the connected
      // client drops it, and an unconnected one sees where it came from.
      const dropped = await pythonUdp(SECONDARY, 7402, { ...client, timeoutSeconds: 1 });
      assert.deepEqual(dropped, { reply: null, from: null, error: null });
      const seen = await pythonUdp(SECONDARY, 7402, { connected: false, namespace: hosts.client });
      assert.equal(seen.from, SERVER_ADDRESS);
      assert.match(
        seen.reply ?? "",
        /^local: unknown \(UDP socket bound to the wildcard .*IP_PKTINFO/m,
      );
      assert.match(
        seen.reply ?? "",
        new RegExp(`^remote: ${CLIENT_ADDRESS.replaceAll(".", "\\.")}:`, "m"),
      );

      // An address added while muxd runs is bound at the next reload; the others stay.
      await ip("-n", hosts.server, "addr", "add", `${LATER}/24`, "dev", hosts.serverLink);
      const before = await pythonUdp(LATER, 7401, { ...client, timeoutSeconds: 1 });
      assert.equal(before.reply, null);
      muxd.signal("SIGHUP");
      await muxd.waitForStderr(
        /SIGHUP: reloaded .*: 5 listener\(s\) kept .*, 0 closed, 1 added \(udp .*\)$/m,
      );
      const after = await pythonUdp(LATER, 7401, client);
      assert.match(after.reply ?? "(no reply)", /^local: 198\.51\.100\.4:7401$/m);
      await muxd.stop();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
