import assert from "node:assert/strict";
import { parseSync } from "@optique/core/parser";
import { parseConfig } from "../../lib/config/config_file.ts";
import { muxdParser } from "../../lib/cli/parser.ts";
import {
  changedSettings,
  listenPositions,
  type Setting,
  SETTINGS,
  valueFlags,
} from "../../lib/provision/mod.ts";

const ROWS = Object.entries(SETTINGS as Record<string, Setting>);

Deno.test("SETTINGS gives every config-file number the same bounds as its flag", () => {
  for (const [key, s] of ROWS) {
    if (s.kind !== "number" || s.configKey === null) continue;
    const flag = s.flags.at(-1)!;
    for (
      const [value, ok] of [[s.min, true], [s.max, true], [s.max + 1, false], [
        s.min - 1,
        false,
      ]] as const
    ) {
      const cli = parseSync(muxdParser, ["serve", flag, `${value}`]).success;
      const file: boolean =
        parseConfig(`{ "${s.configKey}": ${value} }`, "m.jsonc").errors.length === 0;
      assert.equal(cli, ok, `${flag} ${value}`);
      assert.equal(file, ok, `"${key}": ${value}`);
    }
  }
});

Deno.test("parseConfig() bounds maxConnections as --max-connections does", () => {
  const { errors } = parseConfig(`{ "maxConnections": 2000000 }`, "m.jsonc");
  assert.deepEqual(errors.map((e) => e.message), [
    'm.jsonc:1:21: "maxConnections" must be a whole number from 1 to 1000000',
  ]);
});

Deno.test("valueFlags() holds every option that takes a value, --max-connections among them", () => {
  const flags = valueFlags();
  for (const [, s] of ROWS) {
    for (const flag of s.flags) assert.equal(flags.has(flag), s.kind !== "switch", flag);
  }
  assert.ok(flags.has("--max-connections"));
});

Deno.test("listenPositions() skips the value of every option that takes one", () => {
  assert.deepEqual(
    listenPositions(["serve", "--ready-file", "-l", "-l", "tcp://127.0.0.1:0=echo", "--public"]),
    [5],
  );
});

Deno.test("changedSettings() names each setting that differs with what a reload does with it", () => {
  const before = {
    config: "m.jsonc",
    grace: 5,
    logFormat: "text",
    logLevel: "info",
    logLines: 100,
    readyFile: undefined,
    keepGoing: false,
    public: false,
    maxConnections: 10,
    dashboard: undefined,
    control: undefined,
    controlTokenFile: undefined,
  } as const;
  const after = {
    ...before,
    grace: 1,
    logFormat: "json",
    logLines: 0,
    maxConnections: 10,
  } as const;
  assert.deepEqual(changedSettings<"serve">(before, after), [
    { key: "grace", before: 5, after: 1, reload: "live" },
    { key: "logFormat", before: "text", after: "json", reload: "restart" },
    { key: "logLines", before: 100, after: 0, reload: "restart" },
  ]);
});
