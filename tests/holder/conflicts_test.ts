import assert from "node:assert/strict";
import { addressesConflict } from "../../lib/holder/conflicts.ts";

/**
 * [wanted, held, conflicts when both are dual-stack (v6Only false), conflicts
 * when both are IPv6-only (v6Only true)]
 */
const CASES: readonly [string, string, boolean, boolean][] = [
  // the same address
  ["127.0.0.1", "127.0.0.1", true, true],
  ["::1", "::1", true, true],
  ["::1", "0:0:0:0:0:0:0:1", true, true],
  // different addresses of one family
  ["127.0.0.1", "127.0.0.2", false, false],
  ["::1", "fd00::2", false, false],
  // a wildcard on either side, within a family
  ["127.0.0.1", "0.0.0.0", true, true],
  ["0.0.0.0", "127.0.0.1", true, true],
  ["0.0.0.0", "0.0.0.0", true, true],
  ["::1", "::", true, true],
  ["::", "::1", true, true],
  // IPv4 and IPv6 specific addresses never conflict
  ["127.0.0.1", "::1", false, false],
  ["::1", "127.0.0.1", false, false],
  ["0.0.0.0", "::1", false, false],
  ["::1", "0.0.0.0", false, false],
  // a dual-stack :: conflicts with every IPv4 address, only when dual-stack
  ["127.0.0.1", "::", true, false],
  ["0.0.0.0", "::", true, false],
  ["::", "127.0.0.1", true, false],
  ["::", "0.0.0.0", true, false],
  // IPv4-mapped addresses count as IPv4
  ["127.0.0.1", "::ffff:127.0.0.1", true, true],
  ["::ffff:127.0.0.1", "127.0.0.1", true, true],
  ["0.0.0.0", "::ffff:127.0.0.2", true, true],
  ["::ffff:127.0.0.1", "127.0.0.2", false, false],
  ["::ffff:127.0.0.1", "::1", false, false],
  ["::ffff:127.0.0.1", "::", true, false],
  // brackets are tolerated
  ["[::1]", "::1", true, true],
  // a host name may be any address
  ["localhost", "127.0.0.1", true, true],
  ["localhost", "::1", true, true],
];

/** Both sides with the same `v6Only`. */
function both(wanted: string, held: string, v6Only: boolean): boolean {
  return addressesConflict({ address: wanted, v6Only }, { address: held, v6Only });
}

for (const [wanted, held, dualStack, v6Only] of CASES) {
  Deno.test(
    `addressesConflict() says ${wanted} ${dualStack ? "conflicts" : "does not conflict"} ` +
      `with a socket on ${held} (dual-stack)` + (dualStack === v6Only ? "" : ", but not v6-only"),
    () => {
      assert.equal(both(wanted, held, false), dualStack);
      assert.equal(both(wanted, held, true), v6Only);
    },
  );
}

Deno.test("addressesConflict() heeds v6Only of the IPv6 side only", () => {
  const v4 = { address: "127.0.0.1", v6Only: true }; // ignored: IPv4
  assert.equal(addressesConflict(v4, { address: "::", v6Only: false }), true);
  assert.equal(addressesConflict(v4, { address: "::", v6Only: true }), false);
  assert.equal(addressesConflict({ address: "::", v6Only: false }, v4), true);
  assert.equal(addressesConflict({ address: "::", v6Only: true }, v4), false);
});
