import assert from "node:assert/strict";
import { isAllowedHost } from "../../lib/dashboard/mod.ts";

const cases: { bound: string; port: number; allowed: string[]; refused: string[] }[] = [
  {
    bound: "127.0.0.1",
    port: 7080,
    allowed: ["127.0.0.1:7080", "localhost:7080", "LOCALHOST:7080"],
    refused: [
      "attacker.example:7080",
      "127.0.0.1",
      "127.0.0.1:80",
      "127.0.0.1:7081",
      "localhost",
      "127.0.0.2:7080",
      "[::1]:7080",
      "127.1:7080",
      "localhost.:7080",
      "localhost:7080:7080",
      "[127.0.0.1]:7080",
      ":7080",
      "",
    ],
  },
  {
    bound: "::1",
    port: 7080,
    allowed: ["[::1]:7080", "[0:0::1]:7080", "localhost:7080"],
    refused: ["::1:7080", "[::1]", "127.0.0.1:7080", "[::1]:7081", "[::1:7080", "ip6.example:7080"],
  },
  {
    bound: "0.0.0.0",
    port: 7080,
    allowed: ["127.0.0.1:7080", "192.0.2.7:7080", "[::1]:7080", "localhost:7080"],
    refused: ["myhost:7080", "myhost.local:7080", "rebind.attacker.example:7080", "192.0.2.7:80"],
  },
  {
    bound: "::",
    port: 7080,
    allowed: ["[2001:db8::1]:7080", "198.51.100.1:7080"],
    refused: ["example.com:7080"],
  },
  {
    bound: "127.0.0.1",
    port: 80,
    allowed: ["127.0.0.1", "127.0.0.1:80", "localhost", "localhost:"],
    refused: ["127.0.0.1:8080", "evil.example"],
  },
];

for (const { bound, port, allowed, refused } of cases) {
  Deno.test(`isAllowedHost() for a dashboard on ${bound} port ${port} allows its own address and localhost, and no other name`, () => {
    const address = { hostname: bound, port };
    for (const host of allowed) assert.equal(isAllowedHost(host, address), true, host);
    for (const host of refused) assert.equal(isAllowedHost(host, address), false, host);
  });
}
