/**
 * A `[::]` listener on a host where `net.ipv6.bindv6only` is 1 takes IPv6
 * alone, so a forward on `[::]:P` to 127.0.0.1:P is no ring. The setting is
 * per network namespace: the test makes one of its own, sets it, and runs
 * muxd there as `deno task serve` would. Runs as root with iproute2;
 * ignored with the reason otherwise.
 */

import assert from "node:assert/strict";
import {
  MAIN,
  type MuxdLauncher,
  runMuxd,
  runMuxdExpectingFailure,
  SERVE_PERMISSIONS,
  startMuxd,
} from "../_support/process.ts";
import { namespaceProblem, runInNamespace } from "./_two_hosts.ts";

const problem = await namespaceProblem("v6only");
if (problem) console.log(`netns bindv6only tests ignored: ${problem}`);

/** Runs `ip ARGS...`; throws with its output when it fails. */
async function ip(...args: string[]): Promise<string> {
  const out = await new Deno.Command("ip", { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`ip ${args.join(" ")} failed: ${text}`);
  return text;
}

/** One network namespace with loopback up; dispose of it to delete it. */
class Namespace implements AsyncDisposable {
  readonly name = `muxd-v6only-${Deno.pid % 100000}`;

  static async create(): Promise<Namespace> {
    const ns = new Namespace();
    await ip("netns", "add", ns.name);
    try {
      await ip("-n", ns.name, "link", "set", "lo", "up");
    } catch (error) {
      await ns[Symbol.asyncDispose]();
      throw error;
    }
    return ns;
  }

  /** Sets `net.ipv6.bindv6only` in this namespace only. */
  async setBindV6Only(value: 0 | 1): Promise<void> {
    await ip("netns", "exec", this.name, "sysctl", "-q", "-w", `net.ipv6.bindv6only=${value}`);
  }

  /** muxd from source inside the namespace, with the serve task's permissions. */
  get muxd(): MuxdLauncher {
    return {
      program: "ip",
      args: ["netns", "exec", this.name, "deno", "run", ...SERVE_PERMISSIONS, MAIN],
    };
  }

  /** Runs a program inside the namespace with `input` on its standard input. */
  async run(
    program: string,
    args: readonly string[],
    input = "",
  ): Promise<{ code: number; text: string }> {
    const out = await runInNamespace(this.name, program, args, input);
    return { code: out.code, text: out.text + out.stderr };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await ip("netns", "del", this.name);
  }
}

/** A `deno eval` program that POSTs `spec` to the control API and prints the status and body. */
function postListener(control: { url: string; token: string }, spec: string): string {
  return `
const r = await fetch(${JSON.stringify(`${control.url}v1/listeners`)}, {
  method: "POST",
  headers: { authorization: ${JSON.stringify(`Bearer ${control.token}`)} },
  body: ${JSON.stringify(JSON.stringify(spec))},
});
console.log(r.status, await r.text());
`;
}

Deno.test({
  name: "muxd serve on a host with net.ipv6.bindv6only=1 relays from [::]:P to 127.0.0.1:P, " +
    "at start-up, through the control API and in check; with 0 it refuses that ring",
  ignore: problem !== null,
  async fn() {
    await using ns = await Namespace.create();
    await ns.setBindV6Only(1);
    const port = 7300;
    const ring = `tcp://[::]:${port}=forward?to=127.0.0.1:${port}`;
    {
      // The upstream: another program on 127.0.0.1:P, beside the IPv6-only [::]:P.
      await using upstream = await startMuxd(
        ["serve", "-l", `tcp://127.0.0.1:${port}=echo`],
        ns.muxd,
      );
      await using relay = await startMuxd(
        ["serve", "--public", "--control", "127.0.0.1:0", "-l", ring],
        ns.muxd,
      );
      const echoed = await ns.run("nc", ["-N", "-w", "5", "::1", `${port}`], "hello\n");
      assert.equal(echoed.text, "hello\n");

      // Added through the control API: the same check, the same answer.
      const added = await ns.run("deno", [
        "eval",
        postListener(
          relay.ready.control!,
          `tcp://[::]:${port + 1}=forward?to=127.0.0.1:${port + 1}`,
        ),
      ]);
      assert.match(added.text, /^201 /, added.text);

      await relay.stop();
      await upstream.stop();
    }

    // check, once nothing holds the port, finds no ring either.
    const checked = await runMuxd(["check", "--public", "-l", ring], ns.muxd);
    assert.doesNotMatch(checked.stdout + checked.stderr, /this listener itself/);
    assert.equal(checked.code, 0, checked.stdout + checked.stderr);

    // Where [::] is dual-stack, the same forward receives its own connections.
    await ns.setBindV6Only(0);
    const refused = await runMuxdExpectingFailure(["serve", "--public", "-l", ring], ns.muxd);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(
      refused.stderr,
      /is this listener itself \(\[::\] is dual-stack on this host, net\.ipv6\.bindv6only = 0: it receives IPv4 too\)/,
    );
  },
});

Deno.test({
  name: "muxd check and serve on a host with net.ipv6.bindv6only=1 refuse [::ffff:127.0.0.1] as " +
    "the kernel does (invalid argument), each naming the rule; with 0 both bind it, as 127.0.0.1",
  ignore: problem !== null,
  async fn() {
    await using ns = await Namespace.create();
    await ns.setBindV6Only(1);
    const mapped = "tcp://[::ffff:127.0.0.1]:7310=whoami";
    const why = "[::ffff:127.0.0.1] is 127.0.0.1 written as an IPv4-mapped IPv6 address, which " +
      "an IPv6 socket can bind only where it takes IPv4 too. On this host net.ipv6.bindv6only " +
      '= 1: an IPv6 socket takes IPv6 only, so the kernel refuses the address ("invalid argument").';

    const checked = await runMuxd(["check", "-l", mapped], ns.muxd);
    assert.equal(checked.code, 1, checked.stdout + checked.stderr);
    assert.ok(
      checked.stdout.includes(
        `error: ipv4-mapped\n  ${mapped} (argument 2 after check)\n` +
          `  why: ${why}\n  fix: Bind 127.0.0.1 itself.\n`,
      ),
      checked.stdout,
    );
    const refused = await runMuxdExpectingFailure(["serve", "-l", mapped], ns.muxd);
    assert.equal(refused.code, 1, refused.stderr);
    assert.ok(
      refused.stderr.includes(
        `ERR cannot bind tcp [::ffff:127.0.0.1]:7310 (${mapped}): invalid argument: ${why} ` +
          `Fix: Bind 127.0.0.1 itself.\n`,
      ),
      refused.stderr,
    );

    await ns.setBindV6Only(0);
    const fine = await runMuxd(["check", "-l", mapped], ns.muxd);
    assert.equal(fine.code, 0, fine.stdout + fine.stderr);
    await using muxd = await startMuxd(["serve", "-l", mapped], ns.muxd);
    const whoami = await ns.run("nc", ["-d", "-w", "5", "127.0.0.1", "7310"]);
    assert.match(whoami.text, /^transport: tcp\nlocal: \[::ffff:127\.0\.0\.1\]:7310\n/);
    await muxd.stop();
  },
});
