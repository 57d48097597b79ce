/**
 * The embedded demo set: what `muxd serve` binds when no listener is given.
 * Each entry teaches one lesson about socket names; every port is below
 * 32768, outside Linux's range for ephemeral client ports.
 *
 * @module
 */

import type { ListenItem } from "../plan/plan.ts";

/** One demo listener and the lesson it shows. */
export interface DemoListener {
  /** The listen spec. */
  readonly spec: string;
  /** What it shows, in one sentence. */
  readonly lesson: string;
}

/** The demo set, in the order it is bound and printed. */
export const DEMO_LISTENERS: readonly DemoListener[] = [
  {
    spec: "tcp://127.0.0.1:7007=echo",
    lesson: "an echo server on 127.0.0.1 port 7007",
  },
  {
    spec: "tcp://127.0.0.2:7007=whoami",
    lesson: "the same TCP port on another address is another socket, with another service",
  },
  {
    spec: "tcp://[::1]:7007=whoami",
    lesson: "IPv6 loopback [::1] port 7007 is yet another socket name",
  },
  {
    spec: "udp://127.0.0.1:7007=whoami",
    lesson: "UDP port 7007 is separate from TCP port 7007",
  },
  {
    spec: "udp://127.0.0.1:1060=size",
    lesson:
      'the UDP server from Foundations of Python Network Programming: "Your data was N bytes long"',
  },
  {
    spec: "udp://127.0.0.2:1060=echo",
    lesson: "the same UDP port on 127.0.0.2 answers with a different service",
  },
  {
    spec: "tcp://127.0.0.1:1060=banner",
    lesson: 'TCP port 1060 sends "Connection received" and closes',
  },
  { spec: "tcp://127.0.0.1:7009=discard", lesson: "discard (RFC 863)" },
  { spec: "tcp://127.0.0.1:7013=daytime", lesson: "daytime (RFC 867)" },
  { spec: "tcp://127.0.0.1:7017=qotd", lesson: "quote of the day (RFC 865)" },
  { spec: "tcp://127.0.0.1:7019=chargen", lesson: "character generator (RFC 864)" },
  { spec: "tcp://127.0.0.1:7037=time", lesson: "time (RFC 868): 4 binary bytes" },
];

/**
 * The demo set as listen items, each marked as coming from the demo set.
 *
 * @returns One item per demo listener.
 */
export function demoItems(): ListenItem[] {
  return DEMO_LISTENERS.map(({ spec }, index) => ({
    text: spec,
    source: { kind: "builtin", name: `demo set, entry ${index + 1}` },
  }));
}
