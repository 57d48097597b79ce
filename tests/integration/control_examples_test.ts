import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;

async function run(program: string, args: string[]): Promise<{ code: number; out: string }> {
  const output = await new Deno.Command(program, {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, out: decode(output.stdout) + decode(output.stderr) };
}

Deno.test("docs/examples/python: the pytest fixture starts muxd, adds a listener, drops and restores replies, reads the metrics, and stops it", async () => {
  const version = await run("python3", ["-m", "pytest", "--version"]);
  assert.equal(
    version.code,
    0,
    `pytest is needed for this test (Debian: apt-get install python3-pytest): ${version.out}`,
  );
  const { code, out } = await run("python3", [
    "-m",
    "pytest",
    "-q",
    "-p",
    "no:cacheprovider",
    "docs/examples/python",
  ]);
  assert.equal(code, 0, out);
  assert.match(out, /3 passed/);
});

Deno.test("docs/examples/control.sh drives muxd with curl: adds a listener, drops and restores replies, removes it", async () => {
  const { code, out } = await run("sh", ["docs/examples/control.sh"]);
  assert.equal(code, 0, out);
  assert.match(
    out,
    /added udp-127\.0\.0\.1-\d+ on port \d+\ndrop=1: no reply\nfaults cleared: reply\nremoved /,
  );
});
