/**
 * The running server diagnoses nothing itself: `lib/server/` imports no
 * module of `lib/check/` (host facts, `sysctl`) or `lib/holder/` (`ss`), so
 * it can run no tool. What explains a bind failure comes from whoever
 * calls `start()`. The same holds for the dashboard. And the layers below
 * dispatch (sockets, services) import nothing from it.
 */

import assert from "node:assert/strict";

/** The `lib/` folders a module imports, directly or not, as `deno info` lists them. */
async function importedFolders(module: string): Promise<Set<string>> {
  const url = new URL(`../../lib/${module}`, import.meta.url);
  const { code, stdout, stderr } = await new Deno.Command("deno", {
    args: ["info", "--json", url.pathname],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const graph = JSON.parse(new TextDecoder().decode(stdout)) as {
    modules: { specifier: string }[];
  };
  const lib = new URL("../../lib/", import.meta.url).href;
  return new Set(
    graph.modules
      .filter((m) => m.specifier.startsWith(lib))
      .map((m) => m.specifier.slice(lib.length).split("/")[0]),
  );
}

for (const module of ["server/mod.ts", "dashboard/mod.ts"]) {
  Deno.test(`lib/${module} imports nothing from lib/check/ or lib/holder/`, async () => {
    const folders = await importedFolders(module);
    assert.ok(folders.has(module.split("/")[0]), `deno info listed ${[...folders]}`);
    assert.deepEqual([...folders].filter((f) => f === "check" || f === "holder"), []);
  });
}

// Sockets and services are below dispatch: dispatch takes bound sockets and
// hands their connections to services; neither knows what is done with it.
for (const module of ["bind/mod.ts", "services/mod.ts"]) {
  Deno.test(`lib/${module} imports nothing from lib/dispatch/ or lib/server/`, async () => {
    const folders = await importedFolders(module);
    assert.ok(folders.has(module.split("/")[0]), `deno info listed ${[...folders]}`);
    assert.deepEqual([...folders].filter((f) => f === "dispatch" || f === "server"), []);
  });
}
