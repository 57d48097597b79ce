/**
 * Interface names in listen specs: `tcp://lo:7000=echo` binds each address
 * of `lo`. A name that is not an interface of this host is taken as a host
 * name, unless it is written like an interface name (`eth9`, `wlan1`): then
 * it is a typo, and the message lists the interfaces there are.
 *
 * @module
 */

/**
 * The letters that start common interface names on Linux, macOS and BSD:
 * `eth0`, `enp0s3`, `wlan0`, `wlp2s0`, `br0`, `veth1`, `docker0`, `utun3`…
 */
const INTERFACE_PREFIXES: ReadonlySet<string> = new Set([
  "bond",
  "br",
  "docker",
  "em",
  "en",
  "enp",
  "ens",
  "eno",
  "enx",
  "eth",
  "ib",
  "lo",
  "tap",
  "tun",
  "utun",
  "veth",
  "virbr",
  "vlan",
  "wl",
  "wlan",
  "wlp",
  "wwan",
  "ww",
]);

/**
 * Why a host name that names no interface of this host is an interface-name
 * typo, or `null` when it reads as a host name. A name is a typo when it has
 * no dot and is letters then a digit, with the letters of a common interface
 * prefix or of one of this host's interfaces (`eth9` beside `eth0`).
 *
 * @param name The host part of a spec, which is not one of `interfaces`.
 * @param interfaces The host's interfaces; with none known, every name is a host name.
 * @returns The reason, listing this host's interface names, or `null`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { interfaceTypo } from "./interface_name.ts";
 *
 * const lo = { name: "lo", family: "IPv4", address: "127.0.0.1", netmask: "255.0.0.0", scopeid: null, cidr: "127.0.0.1/8", mac: "00:00:00:00:00:00" } as const;
 * const eth0 = { ...lo, name: "eth0", address: "192.0.2.7", cidr: "192.0.2.7/24" };
 * assert.equal(
 *   interfaceTypo("eth9", [lo, eth0]),
 *   "eth9 is not a network interface of this host, whose interfaces are lo, eth0",
 * );
 * assert.equal(interfaceTypo("localhost", [lo, eth0]), null);
 * assert.equal(interfaceTypo("example.com", [lo, eth0]), null);
 * ```
 */
export function interfaceTypo(
  name: string,
  interfaces: readonly Deno.NetworkInterfaceInfo[],
): string | null {
  if (interfaces.length === 0) return null;
  const letters = name.match(/^([a-z]+)\d[a-z0-9]*$/)?.[1];
  if (letters === undefined) return null;
  const names = [...new Set(interfaces.map((i) => i.name))];
  const hostPrefixes = names.map((n) => n.match(/^[a-z]+/)?.[0]);
  if (!INTERFACE_PREFIXES.has(letters) && !hostPrefixes.includes(letters)) return null;
  return `${name} is not a network interface of this host, whose interfaces are ${
    names.join(", ")
  }`;
}
