import assert from "node:assert/strict";
import { formatEvent, type ServerEvent } from "../../lib/events/mod.ts";

const base = { time: 0, listener: "tcp://127.0.0.2:7007=whoami", service: "whoami" } as const;
const local = { address: "127.0.0.2", port: 7007 };
const relay = { time: 0, listener: "tcp://127.0.0.1:7200=forward", service: "forward" } as const;
const remote = { address: "127.0.0.1", port: 51234 };

const cases: [ServerEvent, string][] = [
  [
    { ...base, type: "connection-opened", transport: "tcp", id: 1, local, remote, bound: local },
    "tcp 127.0.0.2:7007 <- 127.0.0.1:51234 -> whoami",
  ],
  [
    {
      ...base,
      type: "connection-opened",
      transport: "tcp",
      id: 2,
      local: { address: "127.0.0.3", port: 7007 },
      remote,
      bound: { address: "0.0.0.0", port: 7007 },
    },
    "tcp 127.0.0.3:7007 <- 127.0.0.1:51234 -> whoami (via tcp 0.0.0.0:7007)",
  ],
  [
    {
      ...base,
      type: "connection-closed",
      transport: "tcp",
      id: 1,
      local,
      remote,
      bytesIn: 5,
      bytesOut: 120,
      durationMs: 3.4,
      reason: "reset",
    },
    "tcp 127.0.0.2:7007 <- 127.0.0.1:51234 closed after 3 ms: 5 B in, 120 B out, reset by peer",
  ],
  [
    {
      ...base,
      type: "datagram",
      transport: "udp",
      local: { address: "::1", port: 1060 },
      remote: { address: "::1", port: 40000 },
      bytesIn: 6,
    },
    "udp [::1]:1060 <- [::1]:40000 -> whoami (6 B)",
  ],
  [
    { ...base, type: "reply", transport: "udp", local, remote, bytesOut: 22 },
    "udp 127.0.0.2:7007 -> 127.0.0.1:51234 reply 22 B from whoami",
  ],
  [
    {
      ...base,
      type: "connection-refused",
      transport: "tcp",
      local,
      remote,
      reason: "rate",
      detail: "too fast",
    },
    "tcp 127.0.0.2:7007 <- 127.0.0.1:51234 refused (rate): too fast",
  ],
  [
    {
      ...base,
      type: "reply-suppressed",
      transport: "udp",
      local,
      remote,
      reason: "amplification",
      detail: "too big",
      bytesIn: 1,
      bytesOut: 0,
    },
    "udp 127.0.0.2:7007 <- 127.0.0.1:51234 no reply from whoami (amplification): too big",
  ],
  [
    {
      ...base,
      type: "error",
      transport: "tcp",
      local,
      remote,
      id: 3,
      name: "TypeError",
      message: "boom",
    },
    "tcp 127.0.0.2:7007 <- 127.0.0.1:51234 -> whoami failed: TypeError: boom",
  ],
  [
    {
      ...base,
      type: "bind-failed",
      transport: "tcp",
      local,
      code: "EADDRINUSE",
      reason: "address already in use",
    },
    "cannot bind tcp 127.0.0.2:7007 (tcp://127.0.0.2:7007=whoami): address already in use",
  ],
  [
    { ...base, type: "listening", transport: "udp", local: { address: "::1", port: 7007 } },
    "listening udp [::1]:7007 -> whoami",
  ],
  [
    { ...base, type: "listener-closed", transport: "tcp", local },
    "stopped listening tcp 127.0.0.2:7007",
  ],
  [
    {
      ...base,
      type: "connection-closed",
      transport: "tcp",
      id: 4,
      local,
      remote: { address: "2001:db8::7", port: 65535 },
      bytesIn: 0,
      bytesOut: 1_234_567_890,
      durationMs: 0.49,
      reason: "done",
    },
    "tcp 127.0.0.2:7007 <- [2001:db8::7]:65535 closed after 0 ms: 0 B in, 1234567890 B out",
  ],
  [
    {
      ...base,
      type: "reply-suppressed",
      transport: "udp",
      local,
      remote,
      reason: "amplification",
      detail: "too big",
      bytesIn: 1,
      bytesOut: 512,
    },
    "udp 127.0.0.2:7007 <- 127.0.0.1:51234 reply cut to 512 B from whoami (amplification): " +
    "too big",
  ],
  [
    {
      ...base,
      type: "error",
      transport: "tcp",
      local,
      remote: null,
      id: null,
      name: "BadResource",
      message: "closed",
    },
    "tcp 127.0.0.2:7007 -> whoami failed: BadResource: closed",
  ],
  [
    { ...base, type: "connection-aborted", transport: "tcp", local, name: "ConnectionReset" },
    "tcp 127.0.0.2:7007 -> whoami: a connection was reset before it could be accepted " +
    "(ConnectionReset)",
  ],
  [
    {
      ...base,
      type: "accept-paused",
      transport: "tcp",
      local,
      code: "EMFILE",
      detail: "Too many open files",
      failures: 1,
      retryMs: 50,
    },
    "tcp 127.0.0.2:7007 -> whoami cannot accept (EMFILE): Too many open files; retrying every " +
    "50 ms (1 failed accept)",
  ],
  [
    {
      ...base,
      type: "accept-resumed",
      transport: "tcp",
      local: { address: "::1", port: 7007 },
      pausedMs: 5_000.4,
      failures: 12,
    },
    "tcp [::1]:7007 -> whoami accepting again after 5000 ms (12 failed accepts)",
  ],
  [
    {
      ...relay,
      type: "connection-closed",
      transport: "tcp",
      id: 3,
      local: { address: "127.0.0.1", port: 7200 },
      remote,
      bytesIn: 0,
      bytesOut: 0,
      durationMs: 2.2,
      reason: "upstream",
      detail: "upstream 127.0.0.1:8080 refused the connection",
    },
    "tcp 127.0.0.1:7200 <- 127.0.0.1:51234 closed after 2 ms: 0 B in, 0 B out, " +
    "upstream 127.0.0.1:8080 refused the connection",
  ],
  [
    {
      ...relay,
      type: "upstream-connected",
      transport: "tcp",
      id: 3,
      local: { address: "127.0.0.1", port: 7200 },
      remote,
      upstream: { address: "127.0.0.1", port: 8080 },
      from: { address: "127.0.0.1", port: 40111 },
    },
    "tcp 127.0.0.1:7200 <- 127.0.0.1:51234 -> forward -> 127.0.0.1:8080 (from 127.0.0.1:40111)",
  ],
  [
    {
      ...relay,
      type: "upstream-connected",
      transport: "tcp",
      id: 4,
      local: { address: "127.0.0.1", port: 7201 },
      remote,
      upstream: { address: "127.0.0.1", port: 8080 },
      from: { address: "127.0.0.1", port: 40112 },
      proxy: "v2",
    },
    "tcp 127.0.0.1:7201 <- 127.0.0.1:51234 -> forward -> 127.0.0.1:8080 " +
    "(from 127.0.0.1:40112, sent PROXY v2)",
  ],
  [
    {
      ...relay,
      type: "session-closed",
      transport: "udp",
      local: { address: "127.0.0.1", port: 7253 },
      remote,
      upstream: { address: "::1", port: 53 },
      datagramsIn: 1,
      bytesIn: 30,
      datagramsOut: 2,
      bytesOut: 120,
      durationMs: 30_012.5,
      reason: "idle",
    },
    "udp 127.0.0.1:7253 <- 127.0.0.1:51234 -> forward -> [::1]:53 session ended after 30013 ms: " +
    "1 datagram (30 B) in, 2 (120 B) out, idle",
  ],
  [
    {
      ...relay,
      type: "session-closed",
      transport: "udp",
      local: { address: "127.0.0.1", port: 7253 },
      remote,
      upstream: { address: "::1", port: 53 },
      datagramsIn: 1,
      bytesIn: 30,
      datagramsOut: 1,
      bytesOut: 30,
      durationMs: 12,
      reason: "evicted",
    },
    "udp 127.0.0.1:7253 <- 127.0.0.1:51234 -> forward -> [::1]:53 session ended after 12 ms: " +
    "1 datagram (30 B) in, 1 (30 B) out, closed for a new client (max-sessions reached)",
  ],
  [
    {
      ...relay,
      type: "session-refused",
      transport: "udp",
      local: { address: "127.0.0.1", port: 7253 },
      remote,
      detail: "cannot open a socket towards upstream 127.0.0.1:53 (Error: Too many open files " +
        "(os error 24)); its datagram is dropped",
    },
    "udp 127.0.0.1:7253 <- 127.0.0.1:51234 -> forward no session: cannot open a socket towards " +
    "upstream 127.0.0.1:53 (Error: Too many open files (os error 24)); its datagram is dropped",
  ],
  [
    {
      time: 0,
      listener: "udp://127.0.0.1:1060=size?drop=0.5&seed=1",
      service: "size",
      type: "listening",
      transport: "udp",
      local: { address: "127.0.0.1", port: 1060 },
      faults: { text: "?drop=0.5&seed=1", seed: 1 },
    },
    "listening udp 127.0.0.1:1060 -> size with faults drop=0.5&seed=1",
  ],
  [
    {
      ...base,
      type: "listening",
      transport: "tcp",
      local,
      faults: { text: "?latency=100", seed: 4_000_000_000 },
    },
    "listening tcp 127.0.0.2:7007 -> whoami with faults latency=100 (seed 4000000000, " +
    "picked by muxd)",
  ],
  [
    {
      ...base,
      type: "faults-changed",
      transport: "tcp",
      local,
      before: "",
      after: "?latency=100",
      seed: 12,
      by: "config",
      was: "config",
    },
    "faults of tcp 127.0.0.2:7007 -> whoami changed from none to latency=100 (seed 12, picked by " +
    "muxd); they apply to connections from now on",
  ],
  [
    {
      ...base,
      type: "faults-changed",
      transport: "udp",
      local,
      before: "?drop=0.5&seed=1",
      after: "?drop=1&seed=2",
      seed: 2,
      by: "config",
      was: "config",
    },
    "faults of udp 127.0.0.2:7007 -> whoami changed from drop=0.5&seed=1 to drop=1&seed=2; they " +
    "apply to datagrams from now on",
  ],
  [
    {
      ...base,
      type: "faults-changed",
      transport: "udp",
      local,
      before: "?drop=0.5",
      after: "",
      seed: null,
      by: "config",
      was: "config",
    },
    "faults of udp 127.0.0.2:7007 -> whoami changed from drop=0.5 to none; they apply to " +
    "datagrams from now on",
  ],
  [
    {
      ...base,
      type: "faults-changed",
      transport: "udp",
      local,
      before: "",
      after: "?drop=1&seed=3",
      seed: 3,
      by: "api",
      was: "config",
    },
    "faults of udp 127.0.0.2:7007 -> whoami changed through the API from none to drop=1&seed=3; " +
    "they apply to datagrams from now on",
  ],
  [
    {
      ...base,
      type: "faults-changed",
      transport: "udp",
      local,
      before: "?drop=1&seed=3",
      after: "?duplicate=1&seed=4",
      seed: 4,
      by: "config",
      was: "api",
    },
    "faults of udp 127.0.0.2:7007 -> whoami changed from drop=1&seed=3 to duplicate=1&seed=4; " +
    "they apply to datagrams from now on (the config changed this listener's faults, so its " +
    "faults replace those set through the API)",
  ],
  [
    {
      ...base,
      type: "listener-replaced",
      transport: "tcp",
      local,
      replaced: "tcp://127.0.0.2:7007=echo",
    },
    "the config's tcp://127.0.0.2:7007=whoami takes tcp 127.0.0.2:7007 from " +
    "tcp://127.0.0.2:7007=echo, which was added through the API: it replaces it",
  ],
];

for (const [event, line] of cases) {
  Deno.test(`formatEvent() writes a ${event.type} event as "${line}"`, () => {
    assert.equal(formatEvent(event), line);
  });
}
