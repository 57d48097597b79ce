/**
 * The host part of a listen spec: an IPv4 address, an IPv6 address in
 * brackets, `*` for the IPv4 wildcard, or a host or interface name.
 *
 * @module
 */

import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "./ip.ts";
import { type Fail, quote } from "./listen_spec_error.ts";
import type { Host } from "./types.ts";

/** The longest host name, as in DNS. */
const MAX_NAME_LENGTH = 253;

/**
 * Parses the host of a listen spec. Names may hold letters, digits, `-`, `.`
 * and `_`; a name made only of numbers and dots (`127.0.0.300`, `127.1`) is
 * taken for a mistyped IPv4 address and refused, since resolvers would read
 * some of them as addresses.
 *
 * @param text The host text, without brackets.
 * @param bracketed Whether the text was written in `[` `]`.
 * @param fail Called with the reason when the text is not a valid host.
 * @returns The host; IP addresses in canonical form.
 */
export function parseHost(text: string, bracketed: boolean, fail: Fail): Host {
  if (bracketed) return parseBracketed(text, fail);
  if (text === "") {
    fail("missing host before the port; use * for every IPv4 address or 127.0.0.1 for loopback");
  }
  if (text === "*") return { kind: "ipv4", address: "0.0.0.0" };
  const ipv4 = parseIPv4(text);
  if (ipv4 !== null) return { kind: "ipv4", address: formatIPv4(ipv4) };
  if (looksLikeIPv4(text)) {
    fail(
      `${quote(text)} is not a valid IPv4 address ` +
        "(it needs 4 numbers 0-255, without leading zeros, between dots)",
    );
  }
  if (text.length > MAX_NAME_LENGTH) {
    fail(`host name is longer than ${MAX_NAME_LENGTH} characters`);
  }
  const bad = text.match(/[^A-Za-z0-9._-]/u);
  if (bad !== null) {
    fail(
      `host name ${quote(text)} cannot contain ${quote(bad[0])}; ` +
        `use letters, digits, "-", "." and "_"`,
    );
  }
  if (/^\.|\.\./.test(text)) fail(`host name ${quote(text)} has an empty part between dots`);
  return { kind: "name", name: text };
}

/** Parses the text between `[` and `]`. */
function parseBracketed(text: string, fail: Fail): Host {
  if (text === "") fail(`missing IPv6 address between "[" and "]"`);
  const zone = text.indexOf("%");
  if (zone >= 0) {
    fail(`IPv6 zone ids like ${quote(text.slice(zone))} are not supported yet`);
  }
  const ipv6 = parseIPv6(text);
  if (ipv6 !== null) return { kind: "ipv6", address: formatIPv6(ipv6) };
  if (parseIPv4(text) !== null || text === "*") {
    fail(`only IPv6 addresses go in brackets; write ${text} without them`);
  }
  fail(`${quote(text)} is not a valid IPv6 address`);
}

/**
 * Tells whether a name is made of numbers (decimal, or hexadecimal with
 * `0x`) between dots, so that it would read as a legacy IPv4 form.
 */
function looksLikeIPv4(text: string): boolean {
  const labels = text.replace(/\.$/, "").split(".");
  return labels.every((label) => /^([0-9]+|0[xX][0-9a-fA-F]*)$/.test(label));
}

/**
 * Formats a host as a listen spec writes it: IPv6 addresses in brackets.
 *
 * @param host The host.
 * @returns Its text form, e.g. `127.0.0.1`, `[::1]` or `localhost`.
 */
export function formatHost(host: Host): string {
  switch (host.kind) {
    case "ipv4":
      return host.address;
    case "ipv6": {
      const bytes = parseIPv6(host.address);
      return `[${bytes === null ? host.address : formatIPv6(bytes)}]`;
    }
    case "name":
      return host.name;
  }
}
