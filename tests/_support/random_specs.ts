/**
 * Random valid listen specs, and random near-misses, for the round-trip and
 * fuzz tests.
 *
 * @module
 */

import {
  formatIPv4,
  formatIPv6,
  type Host,
  type ListenSpec,
  SERVICE_NAMES,
  TRANSPORTS,
} from "../../lib/spec/mod.ts";
import type { Random } from "./random.ts";

const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const NAME_CHARACTERS = `${LETTERS}0123456789-_`;

/** Characters for option values, the awkward ones included. */
const VALUE_CHARACTERS: readonly string[] = [
  ..."abcXYZ019",
  ..."%&=?+#/:;,!*'()[]@$~._-",
  " ",
  "\t",
  "\n",
  "\r",
  "\0",
  "\x7f",
  "é",
  "ß",
  "中",
  "😀",
  "\u200b",
  "\u00a0",
  "\ufeff",
  "%20",
  "%25",
];

function text(random: Random, alphabet: string, min: number, max: number): string {
  return Array.from({ length: random.int(min, max) }, () => random.pick([...alphabet])).join("");
}

/** A random host of every kind, with IP addresses in canonical form. */
export function randomHost(random: Random): Host {
  switch (random.int(0, 3)) {
    case 0: {
      const bytes = Uint8Array.from(
        { length: 4 },
        () => random.pick([0, 1, 127, 255, random.int(0, 255)]),
      );
      return { kind: "ipv4", address: formatIPv4(bytes) };
    }
    case 1: {
      const bytes = new Uint8Array(16);
      if (random.chance(0.2)) bytes.set([0xff, 0xff], 10);
      for (let i = random.chance(0.2) ? 12 : 0; i < 16; i += 2) {
        if (random.chance(0.5)) bytes.set([random.int(0, 255), random.int(0, 255)], i);
      }
      return { kind: "ipv6", address: formatIPv6(bytes) };
    }
    case 2:
      return { kind: "ipv4", address: "0.0.0.0" };
    default: {
      const labels = Array.from(
        { length: random.int(1, 4) },
        () => random.pick([...LETTERS]) + text(random, NAME_CHARACTERS, 0, 12),
      );
      return { kind: "name", name: labels.join(".") + (random.chance(0.1) ? "." : "") };
    }
  }
}

/** A random valid listen spec. */
export function randomSpec(random: Random): ListenSpec {
  let first: number;
  let last: number;
  if (random.chance(0.5)) {
    first = last = random.pick([0, 1, 7, 65535, random.int(0, 65535)]);
  } else {
    first = random.int(1, 65535);
    last = Math.min(65535, first + random.pick([0, 1, 1023, random.int(0, 1023)]));
  }
  const options: Record<string, string> = {};
  for (let i = random.int(0, 3); i > 0; i--) {
    const key = random.pick([..."abcxyz"]) + text(random, "abz09-", 0, 6);
    options[key] = Array.from({ length: random.int(0, 8) }, () => random.pick(VALUE_CHARACTERS))
      .join("");
  }
  return {
    transport: random.pick(TRANSPORTS),
    host: randomHost(random),
    port: { first, last },
    service: random.pick(SERVICE_NAMES),
    options,
  };
}

/** Pieces that listen specs are made of, for garbage that gets far into the parser. */
const PIECES: readonly string[] = [
  "tcp://",
  "udp://",
  "tcp",
  "UDP",
  "://",
  ":/",
  "[",
  "]",
  ":",
  "::",
  "=",
  "?",
  "&",
  "%",
  "%2",
  "%zz",
  "%C3%A9",
  "%FF",
  "-",
  "+",
  "*",
  ".",
  "/",
  "127.0.0.1",
  "::1",
  "0",
  "7007",
  "65535",
  "99999",
  "echo",
  "banner",
  "text",
  "localhost",
  " ",
  "\t",
  "\0",
  "é",
  "\ud800",
  "\u200b",
  "a",
  "Z",
  "_",
  "0x7f",
];

/** Random text made of spec pieces and random code units. */
export function randomGarbage(random: Random): string {
  return Array.from(
    { length: random.int(0, 16) },
    () => random.chance(0.8) ? random.pick(PIECES) : String.fromCharCode(random.int(0, 0xffff)),
  ).join("");
}

/** The text with one to three random edits: insert, delete, replace, duplicate or cut. */
export function mutate(random: Random, original: string): string {
  let result = original;
  for (let edits = random.int(1, 3); edits > 0; edits--) {
    const at = random.int(0, result.length);
    const to = random.int(at, result.length);
    switch (random.int(0, 4)) {
      case 0:
        result = result.slice(0, at) + random.pick(PIECES) + result.slice(at);
        break;
      case 1:
        result = result.slice(0, at) + result.slice(at + 1);
        break;
      case 2:
        result = result.slice(0, at) + random.pick(PIECES) + result.slice(at + 1);
        break;
      case 3:
        result = result.slice(0, to) + result.slice(at, to) + result.slice(to);
        break;
      default:
        result = random.chance(0.5) ? result.slice(0, at) : result.slice(at);
    }
  }
  return result;
}
