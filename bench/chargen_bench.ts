import { chargenLine, chargenLines } from "../lib/services/mod.ts";

Deno.bench("Uint8Array copy of 74 bytes (baseline)", { group: "chargen", baseline: true }, () => {
  new Uint8Array(74).set(new Uint8Array(74));
});

Deno.bench("chargenLine()", { group: "chargen" }, () => {
  chargenLine(42);
});

Deno.bench("chargenLines(0, 95): one full cycle", { group: "chargen" }, () => {
  chargenLines(0, 95);
});
