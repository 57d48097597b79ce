/**
 * The facts about this host that decide whether a bind will work: the
 * kernel's port settings, the process's privileges and the host's addresses.
 *
 * @module
 */

import { formatIPv6, parseIPv6 } from "../spec/mod.ts";
import type { PortRange } from "../spec/types.ts";
import { defaultEphemeralPorts } from "../guard/ephemeral_ports.ts";
import { acceptErrorKind } from "../bind/accept_error.ts";

/** How {@linkcode HostFacts.assumed} starts the sentence that says the addresses are unknown. */
export const ADDRESSES_UNLISTED = "the host's addresses could not be listed";

/** What the bind rules need to know about the host. */
export interface HostFacts {
  /** The operating system. */
  readonly os: typeof Deno.build.os;
  /** `net.ipv6.bindv6only`: when `false`, `[::]` also receives IPv4. */
  readonly bindV6Only: boolean;
  /** `net.ipv4.ip_unprivileged_port_start`: ports below it are privileged. */
  readonly unprivilegedPortStart: number;
  /** Whether this process may bind privileged ports: it runs as root. */
  readonly canBindPrivileged: boolean;
  /**
   * This process's user id, or `null` where it cannot be read: SO_REUSEPORT
   * shares a TCP port only between sockets of one user.
   */
  readonly uid?: number | null;
  /** `net.ipv4.ip_local_port_range`: where the kernel picks ephemeral client ports. */
  readonly ephemeralPorts: { readonly first: number; readonly last: number };
  /** The host's own addresses, canonical text (127.0.0.0/8 is implied on Linux). */
  readonly addresses: readonly string[];
  /** Each address's interface name, for fixes. */
  readonly interfaces: readonly Deno.NetworkInterfaceInfo[];
  /** Facts that could not be read and were assumed, each as a sentence. */
  readonly assumed: readonly string[];
}

/**
 * Reads kernel settings by name (`net.ipv6.bindv6only`); a setting that
 * cannot be read is missing from the result.
 */
export type ReadSysctls = (keys: readonly string[]) => Promise<Record<string, string>>;

/**
 * Reads kernel settings with `sysctl -n`. Deno lets a program read /proc only
 * with every permission (`--allow-all`), so muxd asks the `sysctl` tool instead
 * (`--allow-run=sysctl`).
 *
 * @param keys The settings' names.
 * @returns The values of those that could be read.
 */
export async function sysctl(keys: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  await Promise.all(keys.map(async (key) => {
    const value = await runTool("sysctl", ["-n", key]);
    if (value !== null) out[key] = value.trim();
  }));
  return out;
}

/**
 * Runs a tool and returns its standard output, or `null` when it is not
 * installed, not permitted, cannot be started (the process is out of file
 * descriptors, say), or fails.
 *
 * @param tool The program, such as `ss`.
 * @param args Its arguments.
 * @returns Its output, or `null`.
 */
export async function runTool(tool: string, args: readonly string[]): Promise<string | null> {
  try {
    const { success, stdout } = await new Deno.Command(tool, {
      args: [...args],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    return success ? new TextDecoder().decode(stdout) : null;
  } catch (error) {
    // Whatever kept it from starting (NotFound, NotCapable, EMFILE, ...),
    // the answer is the same: this tool cannot tell us now.
    if (error instanceof Error) return null;
    throw error;
  }
}

/**
 * The host's network interfaces, or none when Deno may not list them
 * (without `--allow-sys=networkInterfaces`).
 *
 * @returns One row per address, as `Deno.networkInterfaces()` gives them.
 */
export function listInterfaces(): Deno.NetworkInterfaceInfo[] {
  try {
    return Deno.networkInterfaces();
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) return [];
    throw error;
  }
}

// The OS's default range lives beside the UDP guard, which the running
// server uses; `check` and `serve` find it here too.
export { defaultEphemeralPorts };

/** The kernel settings that hold the ephemeral port range, by OS: one `first last` or two. */
const EPHEMERAL_SETTINGS: Partial<Record<typeof Deno.build.os, readonly string[]>> = {
  linux: ["net.ipv4.ip_local_port_range"],
  darwin: ["net.inet.ip.portrange.first", "net.inet.ip.portrange.last"],
  freebsd: ["net.inet.ip.portrange.first", "net.inet.ip.portrange.last"],
};

/**
 * Reads the range the kernel picks ephemeral (client) ports from, with
 * `sysctl`; where it cannot be read, the OS's default.
 *
 * @param sysctls How kernel settings are read. @default sysctl
 * @param os The operating system. @default Deno.build.os
 * @returns The range.
 */
export async function readEphemeralPorts(
  sysctls: ReadSysctls = sysctl,
  os: typeof Deno.build.os = Deno.build.os,
): Promise<PortRange> {
  const keys = EPHEMERAL_SETTINGS[os];
  if (keys === undefined) return defaultEphemeralPorts(os);
  const values = await sysctls(keys);
  return parseEphemeralPorts(keys.map((k) => values[k] ?? "").join(" ")) ??
    defaultEphemeralPorts(os);
}

/**
 * Reads `net.ipv6.bindv6only` with `sysctl`: whether a `[::]` socket takes
 * IPv6 alone. Deno sets no IPV6_V6ONLY of its own, so this setting decides
 * whether `[::]` also receives IPv4. Where it cannot be read (no `sysctl`,
 * no `--allow-run=sysctl`, not Linux), `false`: dual-stack, Linux's default.
 *
 * @param sysctls How kernel settings are read. @default sysctl
 * @param os The operating system. @default Deno.build.os
 * @returns `true` when `[::]` takes IPv6 alone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readBindV6Only } from "./host_facts.ts";
 *
 * assert.equal(await readBindV6Only(() => Promise.resolve({ "net.ipv6.bindv6only": "1" }), "linux"), true);
 * assert.equal(await readBindV6Only(() => Promise.resolve({}), "linux"), false);
 * ```
 */
export async function readBindV6Only(
  sysctls: ReadSysctls = sysctl,
  os: typeof Deno.build.os = Deno.build.os,
): Promise<boolean> {
  if (os !== "linux") return false;
  const key = "net.ipv6.bindv6only";
  return (await sysctls([key]))[key] === "1";
}

/** Parses `first last` (as `ip_local_port_range` holds it), or `null` when it is not a range. */
function parseEphemeralPorts(text: string): PortRange | null {
  const [first, last] = text.trim().split(/\s+/).map((n) => Number.parseInt(n, 10));
  return first > 0 && last >= first && last <= 65535 ? { first, last } : null;
}

/** Where {@linkcode readHostFacts} gets its facts; tests can replace each. */
export interface FactSources {
  /** Kernel settings. @default sysctl */
  readonly sysctls?: ReadSysctls;
  /** The host's interfaces. @default Deno.networkInterfaces */
  readonly interfaces?: () => Deno.NetworkInterfaceInfo[];
  /** The process's user id. @default Deno.uid */
  readonly uid?: () => number | null;
}

/**
 * Reads the host facts: on Linux from the kernel's settings, elsewhere with
 * stated assumptions. Nothing that cannot be read stops it: it is assumed,
 * and said so in `assumed`.
 *
 * @param sources Where the facts come from.
 * @returns The facts.
 */
export async function readHostFacts(sources: FactSources = {}): Promise<HostFacts> {
  const assumed: string[] = [];
  const os = Deno.build.os;
  if (os !== "linux") {
    assumed.push(
      `the rules of Linux are assumed on ${os}; they differ in places (on macOS, 127.0.0.2 ` +
        `needs an alias, and wildcard and specific binds may coexist)`,
    );
  }
  const keys = [
    "net.ipv6.bindv6only",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ip_local_port_range",
  ];
  const values = os === "linux" ? await (sources.sysctls ?? sysctl)(keys) : {};
  const number = (key: string, fallback: number) => {
    const n = Number.parseInt(values[key] ?? "", 10);
    if (Number.isNaN(n)) {
      assumed.push(`${key} could not be read (is sysctl installed?); assumed ${fallback}`);
      return fallback;
    }
    return n;
  };
  const bindV6Only = number("net.ipv6.bindv6only", 0) === 1;
  const unprivilegedPortStart = number("net.ipv4.ip_unprivileged_port_start", 1024);
  let ephemeralPorts = parseEphemeralPorts(values["net.ipv4.ip_local_port_range"] ?? "");
  if (ephemeralPorts === null) {
    ephemeralPorts = defaultEphemeralPorts(os);
    assumed.push(
      `net.ipv4.ip_local_port_range could not be read; assumed ` +
        `${ephemeralPorts.first}-${ephemeralPorts.last}`,
    );
  }
  let uid: number | null = null;
  try {
    uid = (sources.uid ?? Deno.uid)();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotCapable)) throw error;
  }
  if (uid === null) {
    assumed.push("the user id could not be read (--allow-sys=uid); assumed not root");
  }
  const canBindPrivileged = uid === 0;
  let list: Deno.NetworkInterfaceInfo[] = [];
  try {
    list = (sources.interfaces ?? (() => Deno.networkInterfaces()))();
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) {
      assumed.push(`${ADDRESSES_UNLISTED} (run with --allow-sys=networkInterfaces)`);
    } else if (acceptErrorKind(error) === "exhausted") {
      // Listing them takes a socket: a bind that failed at EMFILE is
      // explained with these facts, when no descriptor is left for one.
      assumed.push(`${ADDRESSES_UNLISTED}: ${(error as Error).message}`);
    } else {
      throw error;
    }
  }
  const addresses = list.map((i) =>
    i.family === "IPv6"
      ? formatIPv6(parseIPv6(i.address.split("%")[0]) ?? new Uint8Array(16))
      : i.address
  );
  return {
    os,
    bindV6Only,
    unprivilegedPortStart,
    canBindPrivileged,
    uid,
    ephemeralPorts,
    addresses,
    interfaces: list,
    assumed,
  };
}
