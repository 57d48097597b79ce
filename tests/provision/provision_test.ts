import assert from "node:assert/strict";
import { parseConfig } from "../../lib/config/config_file.ts";
import { ConfigError } from "../../lib/config/mod.ts";
import { PlanError } from "../../lib/plan/mod.ts";
import {
  formatProblem,
  type Given,
  provision,
  type Provisioned,
  SettingError,
} from "../../lib/provision/mod.ts";
import { ListenSpecError } from "../../lib/spec/mod.ts";

const NO_INTERFACES = { interfaces: [] };

/** `muxd serve ARGV...` as optique parses it: every setting, none given. */
function serveArgs(argv: string[], given: Partial<Given<"serve">> = {}) {
  return {
    command: "serve" as const,
    argv,
    config: undefined,
    listen: [],
    grace: undefined,
    logFormat: undefined,
    logLevel: undefined,
    logLines: undefined,
    readyFile: undefined,
    keepGoing: false,
    public: false,
    maxConnections: undefined,
    dashboard: undefined,
    control: undefined,
    controlTokenFile: undefined,
    ...given,
  };
}

function provisioned<T>(result: T | unknown[]): T {
  if (Array.isArray(result)) assert.fail(result.map((p) => String(p)).join("\n"));
  return result;
}

Deno.test("provision() takes a setting from the command line, then the config file, then the default", () => {
  const config = parseConfig(
    `{ "listen": ["tcp://127.0.0.1:0=echo"], "grace": 2, "maxConnections": 50, "public": true }`,
    "m.jsonc",
  );
  const argv = ["serve", "-c", "m.jsonc", "--grace", "7"];
  const { settings }: Provisioned<"serve"> = provisioned(
    provision(serveArgs(argv, { config: "m.jsonc", grace: 7 }), config, NO_INTERFACES),
  );
  assert.equal(settings.grace, 7, "the command line wins");
  assert.equal(settings.maxConnections, 50, "the config file fills in");
  assert.equal(settings.public, true, "a switch is on when the config file turns it on");
  assert.equal(settings.logFormat, "text", "the default");
  assert.equal(settings.logLevel, "info");
  assert.equal(settings.readyFile, undefined);
});

Deno.test("provision() returns every problem as an object with its source, config file first", () => {
  const config = parseConfig(
    `{\n  "listen": ["udp://127.0.0.1:0=banner"],\n  "grace": -1\n}`,
    "m.jsonc",
  );
  const argv = [
    "serve",
    "-c",
    "m.jsonc",
    "-l",
    "tcp://127.0.0.1:70000=echo",
    "-l",
    "tcp://0.0.0.0:7=echo",
    "--dashboard",
    "nowhere",
  ];
  const result = provision(
    serveArgs(argv, {
      config: "m.jsonc",
      listen: [argv[4], argv[6]],
      dashboard: "nowhere",
    }),
    config,
    NO_INTERFACES,
  );
  assert.ok(Array.isArray(result));
  assert.deepEqual(result.map((p) => p.constructor), [
    ConfigError,
    PlanError,
    ListenSpecError,
    PlanError,
    SettingError,
  ]);
  assert.deepEqual(result.map((p) => p.source), [
    { kind: "file", path: "m.jsonc", line: 3, column: 12 },
    { kind: "file", path: "m.jsonc", line: 2, column: 14 },
    { kind: "argument", index: 4, after: "serve" },
    { kind: "argument", index: 6, after: "serve" },
    { kind: "argument", index: 8, after: "serve" },
  ]);
  assert.equal(
    formatProblem(result[0]),
    'm.jsonc:3:12: "grace" must be a number of seconds from 0 to 3600',
  );
  assert.match(formatProblem(result[3]), /0\.0\.0\.0 is the wildcard/);
});

Deno.test("provision() leaves exposed listeners to check's findings, not to its problems", () => {
  const argv = ["check", "-l", "tcp://0.0.0.0:7007=echo"];
  const done = provisioned(
    provision(
      {
        command: "check",
        argv,
        config: undefined,
        listen: [argv[2]],
        public: false,
        format: undefined,
      },
      null,
      NO_INTERFACES,
    ),
  );
  assert.equal(done.plan.listeners.length, 1);
  assert.equal(done.dashboard, null);
});

Deno.test("provision() plans the demo set, with its dashboard, when nothing is given", () => {
  const done = provisioned(provision(serveArgs(["serve"]), null, NO_INTERFACES));
  assert.equal(done.demo, true);
  assert.ok(done.plan.listeners.length > 5);
  assert.deepEqual(done.dashboard?.address, { hostname: "127.0.0.1", port: 7080 });
});

Deno.test("provision() plans no listener with --control and none given: the control API adds them", () => {
  const done = provisioned(
    provision(
      serveArgs(["serve", "--control", "127.0.0.1:0"], { control: "127.0.0.1:0" }),
      null,
      NO_INTERFACES,
    ),
  );
  assert.equal(done.demo, false);
  assert.deepEqual(done.plan.listeners, []);
  assert.equal(done.dashboard?.address, null);
});

Deno.test("provision() refuses a config file that lists no listeners, rather than serve the demo set", () => {
  const config = parseConfig(`{ "listen": [] }`, "m.jsonc");
  const result = provision(
    serveArgs(["serve", "-c", "m.jsonc"], { config: "m.jsonc" }),
    config,
    NO_INTERFACES,
  );
  assert.ok(Array.isArray(result));
  assert.deepEqual(result.map(formatProblem), [
    'm.jsonc lists no listeners: add "listen": ["tcp://127.0.0.1:7007=echo", ...] to it',
  ]);
  // With the control API it may: listeners come from there.
  const controlled = provisioned(
    provision(
      serveArgs(["serve", "-c", "m.jsonc", "--control", "127.0.0.1:0"], {
        config: "m.jsonc",
        control: "127.0.0.1:0",
      }),
      config,
      NO_INTERFACES,
    ),
  );
  assert.deepEqual(controlled.plan.listeners, []);
});

Deno.test("provision() plans no demo set when the config file has problems", () => {
  const config = parseConfig(`{ "grace": "soon" }`, "m.jsonc");
  const result = provision(
    serveArgs(["serve", "-c", "m.jsonc"], { config: "m.jsonc" }),
    config,
    NO_INTERFACES,
  );
  assert.ok(Array.isArray(result));
  assert.equal(result.length, 1);
});
