/**
 * readEphemeralPorts() and defaultEphemeralPorts(): the range the kernel
 * picks client ports from, which the UDP loop guard needs. Checks the
 * settings read on each OS (Linux's one "first last" setting, macOS's and
 * FreeBSD's two), the default where they cannot be read or make no range,
 * that Windows asks no sysctl, and, on Linux, the real value.
 */

import assert from "node:assert/strict";
import {
  defaultEphemeralPorts,
  readEphemeralPorts,
  type ReadSysctls,
} from "../../lib/check/host_facts.ts";

/** A sysctl reader that answers from `values` and records what it was asked. */
function fake(values: Record<string, string>, asked: string[] = []): ReadSysctls {
  return (keys) => {
    asked.push(...keys);
    return Promise.resolve(
      Object.fromEntries(keys.filter((k) => k in values).map((k) => [k, values[k]])),
    );
  };
}

const LINUX = "net.ipv4.ip_local_port_range";
const BSD = ["net.inet.ip.portrange.first", "net.inet.ip.portrange.last"];

const CASES: readonly [
  what: string,
  os: typeof Deno.build.os,
  values: Record<string, string>,
  expected: { first: number; last: number },
][] = [
  ["Linux's default", "linux", { [LINUX]: "32768\t60999" }, { first: 32768, last: 60999 }],
  ["a widened Linux range", "linux", { [LINUX]: "1024 65535" }, { first: 1024, last: 65535 }],
  ["a one-port range", "linux", { [LINUX]: "40000 40000" }, { first: 40000, last: 40000 }],
  ["no sysctl on Linux", "linux", {}, { first: 32768, last: 60999 }],
  ["a garbled value", "linux", { [LINUX]: "many" }, { first: 32768, last: 60999 }],
  ["a range that runs backwards", "linux", { [LINUX]: "60999 32768" }, {
    first: 32768,
    last: 60999,
  }],
  ["a range past 65535", "linux", { [LINUX]: "1024 70000" }, { first: 32768, last: 60999 }],
  ["macOS's two settings", "darwin", { [BSD[0]]: "49152", [BSD[1]]: "65535" }, {
    first: 49152,
    last: 65535,
  }],
  ["FreeBSD's two settings", "freebsd", { [BSD[0]]: "10000", [BSD[1]]: "65535" }, {
    first: 10000,
    last: 65535,
  }],
  ["macOS with one setting missing", "darwin", { [BSD[0]]: "10000" }, {
    first: 49152,
    last: 65535,
  }],
];

for (const [what, os, values, expected] of CASES) {
  Deno.test(`readEphemeralPorts() reads ${what} as ${expected.first}-${expected.last}`, async () => {
    assert.deepEqual(await readEphemeralPorts(fake(values), os), expected);
  });
}

Deno.test("readEphemeralPorts() asks no sysctl on Windows and gives IANA's range", async () => {
  const asked: string[] = [];
  assert.deepEqual(await readEphemeralPorts(fake({}, asked), "windows"), {
    first: 49152,
    last: 65535,
  });
  assert.deepEqual(asked, []);
});

Deno.test("defaultEphemeralPorts() is Linux's 32768-60999 on Linux, IANA's elsewhere", () => {
  assert.deepEqual(defaultEphemeralPorts("linux"), { first: 32768, last: 60999 });
  for (const os of ["darwin", "freebsd", "windows"] as const) {
    assert.deepEqual(defaultEphemeralPorts(os), { first: 49152, last: 65535 });
  }
});

const ON_LINUX = Deno.build.os === "linux";
if (!ON_LINUX) {
  console.log(
    `ignored: the live readEphemeralPorts() test compares Linux's setting; this is ${Deno.build.os}`,
  );
}

Deno.test({
  name: "readEphemeralPorts() reads the running kernel's range with sysctl",
  ignore: !ON_LINUX,
  async fn() {
    const { stdout } = await new Deno.Command("sysctl", { args: ["-n", LINUX] }).output();
    const [first, last] = new TextDecoder().decode(stdout).trim().split(/\s+/).map(Number);
    assert.deepEqual(await readEphemeralPorts(), { first, last });
  },
});
