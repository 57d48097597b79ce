// The pure part of dispatching one connection or one datagram: finding the
// service, admitting the peer, and (UDP) deciding on the reply.
import { Admission, DEFAULT_LIMITS, UdpGuard } from "../lib/guard/mod.ts";
import { getService } from "../lib/services/mod.ts";

const LISTENER = "tcp://127.0.0.1:7007=echo";
/** What the dispatcher keys a listener's counters by: an object unique to it. */
const LISTENER_KEY = {};
const LIMITS = { ...DEFAULT_LIMITS, maxConns: 1_000_000, connRate: 1_000_000 };
const admission = new Admission(1_000_000);
const guard = new UdpGuard([{ address: "127.0.0.1", port: 7007 }]);
const remote = { address: "127.0.0.1", port: 51234 };
const reply = new Uint8Array(32);
/** A 48-byte request that carries a sequence number in its first bytes, as clients' do. */
const request = new Uint8Array(48);
let seq = 0;
const table = new Map([[LISTENER, "echo"]]);
const seen = new Set(["127.0.0.1|7007"]);

Deno.bench("Map.get and Set.has (baseline)", { group: "dispatch", baseline: true }, () => {
  table.get(LISTENER);
  seen.has(`${remote.address}|${remote.port}`);
});

Deno.bench("getService(): the service of a listener", { group: "dispatch" }, () => {
  getService("echo");
});

Deno.bench("Admission.admit() and release(): one TCP connection", { group: "dispatch" }, () => {
  admission.admit(LISTENER_KEY, LIMITS, remote.address);
  admission.release(LISTENER_KEY, remote.address);
});

Deno.bench("UdpGuard.admit() and limitReply(): one datagram", { group: "dispatch" }, () => {
  request[0] = seq++;
  guard.admit(LIMITS, remote);
  guard.limitReply(LISTENER_KEY, LIMITS, remote, request, reply, false);
});
