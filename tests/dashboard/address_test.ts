import assert from "node:assert/strict";
import {
  dashboardUrl,
  DEMO_DASHBOARD,
  parseDashboardAddress,
  planDashboard,
} from "../../lib/dashboard/mod.ts";

const good: [string, string, number][] = [
  ["127.0.0.1:7080", "127.0.0.1", 7080],
  ["[::1]:7080", "::1", 7080],
  ["[0:0::1]:0", "::1", 0],
  ["localhost:7080", "localhost", 7080],
  ["*:7080", "0.0.0.0", 7080],
];

for (const [text, hostname, port] of good) {
  Deno.test(`parseDashboardAddress() reads ${text}`, () => {
    assert.deepEqual(parseDashboardAddress(text), { hostname, port });
  });
}

const bad: [string, RegExp][] = [
  ["7080", /write HOST:PORT/],
  ["127.0.0.1:", /the port must be a number, not ""/],
  ["127.0.0.1:http", /the port must be a number/],
  ["127.0.0.1:70000", /the port must be <= 65535/],
  ["::1:7080", /put an IPv6 address in brackets/],
  // In brackets already, but without a port after them.
  ["[::1]", /: write \[ADDRESS\]:PORT, such as \[::1\]:7080$/],
  ["[::1]7080", /: write \[ADDRESS\]:PORT, such as \[::1\]:7080$/],
  ["[2001:db8::1]", /: write \[ADDRESS\]:PORT, such as \[::1\]:7080$/],
  ["[::1:7080", /: missing "\]" after the IPv6 address, such as \[::1\]:7080$/],
  ["127.0.0.300:7080", /not a valid IPv4 address/],
  [":7080", /missing host/],
];

for (const [text, reason] of bad) {
  Deno.test(`parseDashboardAddress() rejects ${JSON.stringify(text)} with a SyntaxError`, () => {
    assert.throws(() => parseDashboardAddress(text), (error: unknown) => {
      assert.ok(error instanceof SyntaxError);
      assert.match(error.message, /^Cannot parse dashboard address ".*" \(--dashboard\): /);
      assert.match(error.message, reason);
      return true;
    });
  });
}

Deno.test("dashboardUrl() puts IPv6 addresses in brackets", () => {
  assert.equal(dashboardUrl({ hostname: "127.0.0.1", port: 7080 }), "http://127.0.0.1:7080/");
  assert.equal(dashboardUrl({ hostname: "::1", port: 7080 }), "http://[::1]:7080/");
});

Deno.test("planDashboard() turns the dashboard on for the demo set only, at 127.0.0.1:7080", () => {
  assert.deepEqual(planDashboard(undefined, { demo: true, allowPublic: false }), {
    address: DEMO_DASHBOARD,
    required: false,
    errors: [],
    warnings: [],
  });
  assert.deepEqual(DEMO_DASHBOARD, { hostname: "127.0.0.1", port: 7080 });
  assert.equal(planDashboard(undefined, { demo: false, allowPublic: false }).address, null);
});

Deno.test("planDashboard() makes an explicit --dashboard required, also with the demo set", () => {
  const plan = planDashboard("[::1]:0", { demo: true, allowPublic: false });
  assert.deepEqual(plan.address, { hostname: "::1", port: 0 });
  assert.equal(plan.required, true);
});

for (const address of ["0.0.0.0:7080", "192.0.2.1:7080", "[::]:7080", "example.com:7080"]) {
  Deno.test(`planDashboard() refuses ${address} without --public and warns with it`, () => {
    const refused = planDashboard(address, { demo: false, allowPublic: false });
    assert.equal(refused.address, null);
    assert.equal(refused.errors.length, 1);
    assert.match(refused.errors[0], /^Cannot use dashboard address ".*" \(--dashboard\): /);
    assert.match(refused.errors[0], /unless you pass --public/);
    const allowed = planDashboard(address, { demo: false, allowPublic: true });
    assert.deepEqual(allowed.errors, []);
    assert.notEqual(allowed.address, null);
    assert.match(allowed.warnings[0], /^exposed to other hosts: the dashboard at http/);
  });
}

for (const address of ["127.0.0.2:7080", "[::1]:7080", "localhost:7080"]) {
  Deno.test(`planDashboard() allows the loopback address ${address} without --public`, () => {
    const plan = planDashboard(address, { demo: false, allowPublic: false });
    assert.deepEqual([plan.errors, plan.warnings], [[], []]);
  });
}

Deno.test("planDashboard() reports a bad address as an error, not an exception", () => {
  const plan = planDashboard("nope", { demo: false, allowPublic: false });
  assert.equal(plan.address, null);
  assert.match(plan.errors[0], /Cannot parse dashboard address "nope"/);
});
