import { formatListenSpec, parseListenSpec } from "../lib/spec/mod.ts";

const SPECS = [
  "tcp://127.0.0.1:7007=echo",
  "udp://[::1]:1060=size",
  "tcp://127.0.0.1:9000-9099=whoami",
  "tcp://localhost:7009=banner?text=Hello%20there",
];

Deno.bench(
  "JSON.parse of a similar-sized string (baseline)",
  { group: "spec", baseline: true },
  () => {
    JSON.parse('{"transport":"tcp","host":"127.0.0.1","port":7007,"service":"echo"}');
  },
);

Deno.bench("parseListenSpec()", { group: "spec" }, () => {
  for (const s of SPECS) parseListenSpec(s);
});

const parsed = SPECS.map((s) => parseListenSpec(s));
Deno.bench("formatListenSpec()", { group: "spec" }, () => {
  for (const s of parsed) formatListenSpec(s);
});
