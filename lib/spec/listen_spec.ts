/**
 * Listen specs: `transport://host:ports=service?options`, parsed once at the
 * edge into a {@linkcode ListenSpec} and formatted back to canonical text.
 *
 * @module
 */

import { isServiceName, SERVICE_NAMES } from "../services/names.ts";
import type { ServiceName } from "../services/names.ts";
import { formatHost, parseHost } from "./host.ts";
import { parseIPv6 } from "./ip.ts";
import { type Fail, fits, ListenSpecError, quote } from "./listen_spec_error.ts";
import { describeCharacter, FORBIDDEN_CHARACTER, formatOptions, parseOptions } from "./options.ts";
import { formatPortRange, parsePortRange } from "./port_range.ts";
import type { ListenSpec, SpecSource, Transport } from "./types.ts";
import { TRANSPORTS } from "./types.ts";

const KNOWN_SERVICES = SERVICE_NAMES.join(", ");

/**
 * Parses one listen spec:
 *
 * ```text
 * spec      = transport "://" host ":" ports "=" service [ "?" options ]
 * transport = "tcp" | "udp"
 * host      = ipv4 | "[" ipv6 "]" | "*" | name
 * ports     = port | port "-" port
 * options   = key "=" value *( "&" key "=" value )
 * ```
 *
 * `*` is the IPv4 wildcard `0.0.0.0`. A range holds at most 1024 ports and
 * not port 0. Option values are percent-decoded; options come back sorted by
 * key.
 *
 * @param text The spec, e.g. `udp://[::1]:1060=size`.
 * @param source Where the text came from, named in the error message.
 * @returns The parsed spec, frozen; IP addresses in canonical form.
 * @throws {ListenSpecError} When the text is not a valid listen spec; the
 *   message says what is wrong, often with the corrected spec.
 *
 * @example Parse a spec, and a mistake
 * ```ts
 * import { ListenSpecError, parseListenSpec } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseListenSpec("tcp://127.0.0.1:7007=echo"), {
 *   transport: "tcp",
 *   host: { kind: "ipv4", address: "127.0.0.1" },
 *   port: { first: 7007, last: 7007 },
 *   service: "echo",
 *   options: {},
 * });
 * assert.throws(
 *   () => parseListenSpec("udp://:70000=echo", { kind: "argument", index: 3 }),
 *   ListenSpecError,
 *   'Cannot parse listen spec "udp://:70000=echo" (argument 3): port must be <= 65535',
 * );
 * ```
 */
export function parseListenSpec(text: string, source?: SpecSource): ListenSpec {
  const fail: Fail = (reason) => {
    throw new ListenSpecError(text, reason, source);
  };
  checkCharacters(text, fail);
  const { transport, rest } = splitTransport(text, fail);
  const parts = splitRest(transport, rest, fail);
  const after = rest.slice(parts.address.length);
  const rebuild = (address: string) => printable(`${transport}://${address}${after}`);
  const { hostText, bracketed, portText } = splitAddress(parts.address, rebuild, fail);
  const port = parsePortRange(portText, fail);
  const host = parseHost(hostText, bracketed, fail);
  const service = parseService(parts.service, fail);
  const options = parseOptions(parts.options, fail);
  return Object.freeze({
    transport,
    host: Object.freeze(host),
    port: Object.freeze(port),
    service,
    options: Object.freeze(options),
  });
}

/** Refuses an empty spec and whitespace or control characters before the options. */
function checkCharacters(text: string, fail: Fail): void {
  if (text === "") fail("empty listen spec; write e.g. tcp://127.0.0.1:7007=echo");
  const question = text.indexOf("?");
  const head = question < 0 ? text : text.slice(0, question);
  const bad = FORBIDDEN_CHARACTER.exec(head);
  if (bad === null) return;
  const what = describeCharacter(bad[0]);
  if (bad.index === 0) fail(`unexpected ${what} at the start`);
  if (bad.index + bad[0].length === text.length) fail(`unexpected ${what} at the end`);
  fail(`unexpected ${what} at character ${bad.index + 1}`);
}

/** Splits `transport://rest`. */
function splitTransport(text: string, fail: Fail): { transport: Transport; rest: string } {
  const separator = text.indexOf("://");
  if (separator < 0) {
    const scheme = /^(tcp|udp):/i.exec(text);
    if (scheme !== null) fail(`write "${scheme[1].toLowerCase()}://" with two slashes`);
    fail(`missing "tcp://" or "udp://" at the start`);
  }
  const scheme = text.slice(0, separator);
  const rest = text.slice(separator + 3);
  if (isTransport(scheme)) return { transport: scheme, rest };
  if (scheme === "") fail(`missing transport before "://"; use tcp or udp`);
  const lower = scheme.toLowerCase();
  if (isTransport(lower)) fail(`transport must be lowercase: ${lower}`);
  if (/^(tcp|udp)[46]$/.test(lower)) {
    const plain = lower.slice(0, 3);
    fail(`unknown transport ${quote(scheme)}; use ${plain} (the address picks IPv4 or IPv6)`);
  }
  fail(`unknown transport ${quote(scheme)}; use tcp or udp`);
}

/** Tells whether the text is one of {@linkcode TRANSPORTS}. */
function isTransport(text: string): text is Transport {
  return (TRANSPORTS as readonly string[]).includes(text);
}

/** The three parts after `transport://`. */
interface Parts {
  /** `host:ports`. */
  readonly address: string;
  /** The text after `=`, up to `?`. */
  readonly service: string;
  /** The text after `?`, or `undefined` without `?`. */
  readonly options: string | undefined;
}

/** Splits `host:ports=service?options`, catching URL habits (`/service`, `:service`). */
function splitRest(transport: Transport, rest: string, fail: Fail): Parts {
  if (rest === "") fail(`missing host, port and service after "${transport}://"`);
  if (rest.startsWith("/")) {
    fail(`too many slashes after "${transport}:"; write ${transport}://HOST:PORT=SERVICE`);
  }
  const end = rest.search(/[=?]/);
  const address = end < 0 ? rest : rest.slice(0, end);
  const slash = address.indexOf("/");
  if (slash >= 0) {
    const before = rest.slice(0, slash);
    const fixed = `${transport}://${before}=${rest.slice(slash + 1)}`;
    if (/:[0-9]+$/.test(before) && slash + 1 < address.length) {
      fail(`use "=" between the port and the service, not "/"${suggest(fixed)}`);
    }
    fail(`unexpected "/" in ${quote(address)}; write HOST:PORT=SERVICE`);
  }
  if (end < 0 || rest[end] !== "=") {
    const colon = address.lastIndexOf(":");
    if (colon >= 0 && isServiceName(address.slice(colon + 1))) {
      const fixed = `${transport}://${rest.slice(0, colon)}=${rest.slice(colon + 1)}`;
      fail(`use "=" before the service, not ":"${suggest(fixed)}`);
    }
    fail(`missing "=SERVICE" after the port; services: ${KNOWN_SERVICES}`);
  }
  const serviceAndOptions = rest.slice(end + 1);
  const question = serviceAndOptions.indexOf("?");
  if (question < 0) return { address, service: serviceAndOptions, options: undefined };
  return {
    address,
    service: serviceAndOptions.slice(0, question),
    options: serviceAndOptions.slice(question + 1),
  };
}

/**
 * `": fixed"` when the fixed spec parses, so a suggestion is never wrong,
 * and is short enough to repeat.
 */
function suggest(fixed: string): string {
  if (!fits(fixed)) return "";
  try {
    parseListenSpec(fixed);
    return `: ${fixed}`;
  } catch (error) {
    if (error instanceof ListenSpecError) return "";
    throw error;
  }
}

/**
 * `": fixed"` when the fixed spec can be shown as it is and is short enough
 * to repeat, for hints that need not parse.
 */
function printable(fixed: string): string {
  return !fits(fixed) || FORBIDDEN_CHARACTER.test(fixed) || !fixed.isWellFormed()
    ? ""
    : `: ${fixed}`;
}

/** Splits `host:ports` or `[ipv6]:ports`. */
function splitAddress(
  address: string,
  rebuild: (address: string) => string,
  fail: Fail,
): { hostText: string; bracketed: boolean; portText: string } {
  if (address === "") fail(`missing host and port before "="`);
  if (address.startsWith("[")) {
    const close = address.indexOf("]");
    if (close < 0) fail(`missing "]" after the IPv6 address`);
    const after = address.slice(close + 1);
    if (after === "") fail(`missing port after "]"; write [ADDRESS]:PORT`);
    if (!after.startsWith(":")) fail(`expected ":" and a port after "]", got ${quote(after)}`);
    return { hostText: address.slice(1, close), bracketed: true, portText: after.slice(1) };
  }
  if (address.includes("]")) fail(`unexpected "]" without "["`);
  const colon = address.lastIndexOf(":");
  if (colon < 0) {
    if (/^[0-9]+$/.test(address)) {
      fail(
        `missing host before the port; write ${
          fits(address) ? `*:${address}` : "*:PORT"
        } for every IPv4 address`,
      );
    }
    const example = /^[A-Za-z0-9._*-]+$/.test(address) && fits(address)
      ? `; write ${address}:PORT`
      : "";
    fail(`missing port after the host${example}`);
  }
  const hostText = address.slice(0, colon);
  const portText = address.slice(colon + 1);
  if (hostText.includes(":")) {
    if (parseIPv6(hostText) !== null && /^[0-9]+(-[0-9]+)?$/.test(portText)) {
      fail(`IPv6 addresses need brackets${rebuild(`[${hostText}]:${portText}`)}`);
    }
    if (parseIPv6(address) !== null) {
      fail(`IPv6 addresses need brackets and a port${rebuild(`[${address}]:PORT`)}`);
    }
    fail(`too many ":" in ${quote(address)}; IPv6 addresses need brackets, as in [::1]:7007`);
  }
  return { hostText, bracketed: false, portText };
}

/** Checks the service name. */
function parseService(text: string, fail: Fail): ServiceName {
  if (isServiceName(text)) return text;
  if (text === "") fail(`missing service after "="; known services: ${KNOWN_SERVICES}`);
  const lower = text.toLowerCase();
  if (isServiceName(lower)) fail(`service names are lowercase: ${lower}`);
  if (/[=&]/.test(text)) {
    fail(`unknown service ${quote(text)}; options go after "?", as in banner?text=hello`);
  }
  fail(`unknown service ${quote(text)}; known services: ${KNOWN_SERVICES}`);
}

/**
 * Formats a listen spec as canonical text: IPv6 addresses in canonical form
 * and in brackets, a range as `first-last`, options sorted by key with values
 * percent-encoded only where needed. For every spec `s` that
 * {@linkcode parseListenSpec} returns, `parseListenSpec(formatListenSpec(s))`
 * deep-equals `s`.
 *
 * @param spec The spec.
 * @returns Its canonical text.
 *
 * @example Canonical text
 * ```ts
 * import { formatListenSpec, parseListenSpec } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const spec = parseListenSpec("udp://[0:0::1]:9000-9099=banner?text=Hello%2C%20world&b=1");
 * assert.equal(formatListenSpec(spec), "udp://[::1]:9000-9099=banner?b=1&text=Hello,%20world");
 * ```
 */
export function formatListenSpec(spec: ListenSpec): string {
  const address = `${formatHost(spec.host)}:${formatPortRange(spec.port)}`;
  return `${spec.transport}://${address}=${spec.service}${formatOptions(spec.options)}`;
}

/**
 * Parses many listen specs and collects every error rather than stopping at
 * the first.
 *
 * @param items Each spec text with where it came from.
 * @returns The specs that parse, in order, and an error for each that does not.
 *
 * @example One good spec, one bad
 * ```ts
 * import { parseListenSpecs } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const { specs, errors } = parseListenSpecs([
 *   { text: "tcp://127.0.0.1:7007=echo", source: { kind: "argument", index: 1 } },
 *   { text: "tcp://127.0.0.1:7008=ech", source: { kind: "argument", index: 2 } },
 * ]);
 * assert.equal(specs.length, 1);
 * assert.equal(errors.length, 1);
 * ```
 */
export function parseListenSpecs(
  items: readonly { readonly text: string; readonly source: SpecSource }[],
): { specs: ListenSpec[]; errors: ListenSpecError[] } {
  const specs: ListenSpec[] = [];
  const errors: ListenSpecError[] = [];
  for (const { text, source } of items) {
    try {
      specs.push(parseListenSpec(text, source));
    } catch (error) {
      if (!(error instanceof ListenSpecError)) throw error;
      errors.push(error);
    }
  }
  return { specs, errors };
}
