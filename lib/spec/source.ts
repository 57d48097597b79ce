/**
 * Where a piece of text came from, as shown in error messages.
 *
 * @module
 */

import type { SpecSource } from "./types.ts";

/**
 * Formats where a piece of text came from, for the parenthesis in an error
 * message: `argument 2 after serve`, `muxd.jsonc:12:5`, `built-in demo set` or `spec 2 of add()`.
 *
 * @param source The origin of the text.
 * @returns A short description of the origin.
 *
 * @example Each kind of source
 * ```ts
 * import { formatSource } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatSource({ kind: "argument", index: 2, after: "serve" }), "argument 2 after serve");
 * assert.equal(formatSource({ kind: "argument", index: 3 }), "argument 3");
 * assert.equal(formatSource({ kind: "file", path: "muxd.jsonc", line: 12, column: 5 }), "muxd.jsonc:12:5");
 * assert.equal(formatSource({ kind: "builtin", name: "demo set" }), "built-in demo set");
 * assert.equal(formatSource({ kind: "call", name: "add()", index: 2 }), "spec 2 of add()");
 * ```
 */
export function formatSource(source: SpecSource): string {
  switch (source.kind) {
    case "argument":
      return source.after === undefined
        ? `argument ${source.index}`
        : `argument ${source.index} after ${source.after}`;
    case "file":
      return `${source.path}:${source.line}:${source.column}`;
    case "builtin":
      return `built-in ${source.name}`;
    case "call":
      return `spec ${source.index} of ${source.name}`;
  }
}
