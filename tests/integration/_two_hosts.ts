/**
 * A real second host for the tests: two network namespaces joined by a veth
 * pair, with addresses from the documentation range 198.51.100.0/24. Only
 * root can make them; `namespaceProblem()` says why not, for an ignored test.
 */

import { type ProgramOutput, runWithInput } from "../_support/with_input.ts";
import { MAIN, type MuxdLauncher, SERVE_PERMISSIONS } from "../_support/process.ts";

/** The server host's address on the veth pair. */
export const SERVER_ADDRESS = "198.51.100.1";
/** The client host's address on the veth pair. */
export const CLIENT_ADDRESS = "198.51.100.2";

async function ip(...args: string[]): Promise<{ ok: boolean; out: string }> {
  const r = await new Deno.Command("ip", { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  return { ok: r.success, out: text };
}

/**
 * Why namespaces cannot be made here, or `null` when they can.
 *
 * @param tag Part of the probe namespace's name, unique to the caller.
 */
export async function namespaceProblem(tag: string): Promise<string | null> {
  if (Deno.build.os !== "linux") return "network namespaces are Linux-only";
  if (Deno.uid() !== 0) return "creating network namespaces needs root";
  try {
    const probe = `muxd-probe-${tag}-${Deno.pid % 100000}`;
    const made = await ip("netns", "add", probe);
    if (!made.ok) return `ip netns add failed: ${made.out.trim()}`;
    await ip("netns", "del", probe);
    return null;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "the ip tool (iproute2) is not installed";
    throw error;
  }
}

/** What a command run inside a namespace printed. */
export type NamespaceOutput = ProgramOutput;

/**
 * Runs a program inside a network namespace with `input` on its standard input.
 *
 * @param ns The namespace.
 * @param program Such as `nc`.
 * @param args Its arguments.
 * @param input What to write to its standard input before closing it.
 * @param limitMs When it is killed (SIGKILL) if it has not ended.
 * @returns What it printed, and its exit code.
 */
export function runInNamespace(
  ns: string,
  program: string,
  args: readonly string[],
  input: string | Uint8Array = "",
  limitMs = 60_000,
): Promise<NamespaceOutput> {
  return runWithInput("ip", ["netns", "exec", ns, program, ...args], input, limitMs);
}

/** The two hosts; dispose of them to delete both namespaces and the pair. */
export class TwoHosts implements AsyncDisposable {
  /** The server's namespace. */
  readonly server: string;
  /** The client's namespace. */
  readonly client: string;
  readonly #veth: string;

  private constructor(tag: string) {
    const id = `${tag}-${Deno.pid % 100000}`;
    this.server = `muxd-s-${id}`;
    this.client = `muxd-c-${id}`;
    this.#veth = `m${tag.slice(0, 3)}${Deno.pid % 100000}`;
  }

  /**
   * Makes both namespaces and the veth pair; whatever was made is removed
   * again when a step fails.
   *
   * @param tag A short name unique to the calling test file.
   */
  static async create(tag: string): Promise<TwoHosts> {
    const hosts = new TwoHosts(tag);
    const { server, client } = hosts;
    const veth = hosts.#veth;
    const steps: string[][] = [
      ["netns", "add", server],
      ["netns", "add", client],
      ["link", "add", `${veth}s`, "type", "veth", "peer", "name", `${veth}c`],
      ["link", "set", `${veth}s`, "netns", server],
      ["link", "set", `${veth}c`, "netns", client],
      ["-n", server, "addr", "add", `${SERVER_ADDRESS}/24`, "dev", `${veth}s`],
      ["-n", client, "addr", "add", `${CLIENT_ADDRESS}/24`, "dev", `${veth}c`],
      ["-n", server, "link", "set", "lo", "up"],
      ["-n", client, "link", "set", "lo", "up"],
      ["-n", server, "link", "set", `${veth}s`, "up"],
      ["-n", client, "link", "set", `${veth}c`, "up"],
    ];
    try {
      for (const step of steps) {
        const r = await ip(...step);
        if (!r.ok) throw new Error(`ip ${step.join(" ")} failed: ${r.out}`);
      }
    } catch (error) {
      await hosts[Symbol.asyncDispose]();
      throw error;
    }
    return hosts;
  }

  /** The server's end of the veth pair, inside its namespace, such as `mnet1234s`. */
  get serverLink(): string {
    return `${this.#veth}s`;
  }

  /** muxd started inside the server's namespace, as `deno task serve` would run it there. */
  get muxdOnServer(): MuxdLauncher {
    return {
      program: "ip",
      args: ["netns", "exec", this.server, "deno", "run", ...SERVE_PERMISSIONS, MAIN],
    };
  }

  /**
   * Runs a program inside a namespace with `input` on its standard input.
   *
   * @param ns The namespace, `server` or `client`.
   * @param program Such as `nc`.
   * @param args Its arguments.
   * @param input What to write to its standard input before closing it.
   */
  async run(
    ns: string,
    program: string,
    args: readonly string[],
    input: string | Uint8Array = "",
  ): Promise<NamespaceOutput> {
    return await runInNamespace(ns, program, args, input);
  }

  /** Deletes both namespaces, which deletes the veth pair with them. */
  async [Symbol.asyncDispose](): Promise<void> {
    await ip("netns", "del", this.server);
    await ip("netns", "del", this.client);
    // A pair made before the move into the namespaces would be left in the root namespace.
    await ip("link", "del", `${this.#veth}s`);
  }
}
