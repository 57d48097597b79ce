/**
 * What `deno task serve` downloads on a fresh machine: Deno installs every
 * package of deno.json's import map when it runs a program, so the map holds
 * only what muxd itself imports; test tools (playwright-core) are imported by
 * their npm specifiers in the tests that use them.
 */

import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

/** The package name of an npm specifier: `npm:/@scope/name@1.2.3/sub` → `@scope/name`. */
function packageName(specifier: string): string {
  const path = specifier.replace(/^npm:\/?/, "");
  const [first, second] = path.split("/");
  const name = first.startsWith("@") ? `${first}/${second}` : first;
  return name.replace(/(.)@.*$/, "$1");
}

Deno.test("deno.json imports only the npm packages that main.ts reaches", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const mapped = new Set(
    Object.values(config.imports as Record<string, string>)
      .filter((target) => target.startsWith("npm:"))
      .map(packageName),
  );
  const info = await new Deno.Command("deno", {
    args: ["info", "--json", "main.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(info.success, new TextDecoder().decode(info.stderr));
  const graph: { modules: { kind: string; specifier: string }[] } = JSON.parse(
    new TextDecoder().decode(info.stdout),
  );
  const reached = new Set(
    graph.modules.filter((m) => m.kind === "npm").map((m) => packageName(m.specifier)),
  );
  assert.ok(reached.size > 0, "main.ts reaches no npm package: the graph was not read");
  assert.deepEqual(
    [...mapped].filter((name) => !reached.has(name)),
    [],
    "in deno.json's imports (installed by every deno task serve) but not imported by muxd",
  );
});
