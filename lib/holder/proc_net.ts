/**
 * The socket tables Linux shows in `/proc/net/tcp`, `tcp6`, `udp` and `udp6`,
 * parsed into typed rows.
 *
 * A row looks like this (the header names the columns; later columns vary
 * between TCP and UDP and are ignored here):
 *
 * ```text
 *   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
 *    4: 0100007F:A983 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 22917 1 …
 * ```
 *
 * Addresses are hexadecimal 32-bit words printed in the host's byte order
 * (little-endian on x86 and arm, so `0100007F` is 127.0.0.1); an IPv6
 * address is four such words. Ports are plain hexadecimal (`A983` is 43395).
 *
 * @module
 */

import { formatIPv4, formatIPv6 } from "../spec/mod.ts";
import type { SocketName, Transport } from "../spec/mod.ts";

/** One row of a `/proc/net` socket table. */
export interface ProcSocket {
  /** `tcp` or `udp`: which table the row came from. */
  readonly transport: Transport;
  /** 4 for `/proc/net/tcp` and `udp`, 6 for `tcp6` and `udp6`. */
  readonly family: 4 | 6;
  /** The local socket name; IPv4-mapped IPv6 addresses stay `::ffff:a.b.c.d`. */
  readonly local: SocketName;
  /** The remote socket name, or `null` when the socket is not connected (all zeros). */
  readonly remote: SocketName | null;
  /**
   * The state by name. TCP: the kernel's names, `LISTEN`, `ESTABLISHED`,
   * `TIME_WAIT`, …; UDP: `UNCONNECTED` (code 07) or `CONNECTED` (code 01).
   * A code this parser does not know is shown as `UNKNOWN_0C`.
   */
  readonly state: string;
  /** The owner's user id. Sockets the kernel holds alone (TIME_WAIT) show 0. */
  readonly uid: number;
  /** The socket's inode, as in `socket:[INODE]` links; 0 when no file refers to it. */
  readonly inode: number;
}

/** TCP state codes, from the kernel's `include/net/tcp_states.h`. */
const TCP_STATES: Readonly<Record<number, string>> = {
  0x01: "ESTABLISHED",
  0x02: "SYN_SENT",
  0x03: "SYN_RECV",
  0x04: "FIN_WAIT1",
  0x05: "FIN_WAIT2",
  0x06: "TIME_WAIT",
  0x07: "CLOSE",
  0x08: "CLOSE_WAIT",
  0x09: "LAST_ACK",
  0x0a: "LISTEN",
  0x0b: "CLOSING",
};

/** UDP reuses two TCP codes: 07 (TCP_CLOSE) and 01 (TCP_ESTABLISHED). */
const UDP_STATES: Readonly<Record<number, string>> = {
  0x01: "CONNECTED",
  0x07: "UNCONNECTED",
};

/**
 * Parses the text of `/proc/net/tcp`, `tcp6`, `udp` or `udp6`. The header
 * line and blank lines are skipped; every other line must be a socket row.
 *
 * @param text The whole file, as read.
 * @param transport Which table it is: `tcp` for `tcp`/`tcp6`, `udp` for `udp`/`udp6`.
 * @param family 4 for `tcp`/`udp`, 6 for `tcp6`/`udp6`.
 * @returns One entry per row, in file order.
 * @throws {SyntaxError} When a row does not have the expected columns.
 *
 * @example A listening TCP socket on 127.0.0.1:7007
 * ```ts
 * import { parseProcNet } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const text = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
 *   "   0: 0100007F:1B5F 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 52133 1 0000000000000000 100 0 0 10 0\n";
 * const [row] = parseProcNet(text, "tcp", 4);
 * assert.deepEqual(row.local, { address: "127.0.0.1", port: 7007 });
 * assert.equal(row.remote, null);
 * assert.equal(row.state, "LISTEN");
 * assert.equal(row.uid, 1000);
 * assert.equal(row.inode, 52133);
 * ```
 */
export function parseProcNet(text: string, transport: Transport, family: 4 | 6): ProcSocket[] {
  const file = `/proc/net/${transport}${family === 6 ? "6" : ""}`;
  const rows: ProcSocket[] = [];
  for (const [index, line] of text.split("\n").entries()) {
    const columns = line.trim().split(/\s+/);
    if (columns[0] === "" || columns[0] === "sl") continue;
    const fail = (what: string) =>
      new SyntaxError(`Cannot parse ${file} line ${index + 1}: ${what}: ${line.trim()}`);
    if (columns.length < 10 || !/^[0-9]+:$/.test(columns[0])) {
      throw fail("expected a row of at least 10 columns starting with a slot number");
    }
    const [, local, remote, state, , , , uid, , inode] = columns;
    const localName = parseHexSocketName(local, family);
    const remoteName = parseHexSocketName(remote, family);
    if (localName === null) throw fail(`bad local address "${local}"`);
    if (remoteName === null) throw fail(`bad remote address "${remote}"`);
    if (!/^[0-9A-Fa-f]{2}$/.test(state)) throw fail(`bad state "${state}"`);
    if (!/^[0-9]+$/.test(uid)) throw fail(`bad uid "${uid}"`);
    if (!/^[0-9]+$/.test(inode)) throw fail(`bad inode "${inode}"`);
    rows.push({
      transport,
      family,
      local: localName,
      remote: isUnconnected(remoteName) ? null : remoteName,
      state: stateName(transport, parseInt(state, 16)),
      uid: Number(uid),
      inode: Number(inode),
    });
  }
  return rows;
}

/** Names a state code; unknown codes keep their hexadecimal form. */
function stateName(transport: Transport, code: number): string {
  const table = transport === "tcp" ? TCP_STATES : UDP_STATES;
  return table[code] ?? `UNKNOWN_${code.toString(16).toUpperCase().padStart(2, "0")}`;
}

/** Tells whether a remote name is the all-zero "no peer". */
function isUnconnected(name: SocketName): boolean {
  return name.port === 0 && (name.address === "0.0.0.0" || name.address === "::");
}

/**
 * Parses `HEXADDR:HEXPORT`. The address is 1 (IPv4) or 4 (IPv6) 32-bit words,
 * each printed by the kernel as a number in the host's byte order: storing
 * the numbers back into a `Uint32Array` restores the original bytes on any
 * host, little- or big-endian.
 */
function parseHexSocketName(text: string, family: 4 | 6): SocketName | null {
  const digits = family === 4 ? 8 : 32;
  const match = new RegExp(`^([0-9A-Fa-f]{${digits}}):([0-9A-Fa-f]{4})$`).exec(text);
  if (match === null) return null;
  const words = new Uint32Array(digits / 8);
  for (let i = 0; i < words.length; i++) {
    words[i] = parseInt(match[1].slice(8 * i, 8 * i + 8), 16);
  }
  const bytes = new Uint8Array(words.buffer);
  const address = family === 4 ? formatIPv4(bytes) : formatIPv6(bytes);
  return { address, port: parseInt(match[2], 16) };
}
