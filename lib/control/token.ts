/**
 * The control API's bearer token: 128 random bits made at start, or one
 * line read from `--control-token-file`, and the constant-time check of a
 * request's `Authorization` header against it.
 *
 * @module
 */

import { fileErrorWords } from "../explain/file_error.ts";

/** Bytes of randomness in a generated token: 256 bits, hex-encoded. */
const TOKEN_BYTES = 32;

/** The fewest characters a token from a file may have: about 128 bits of hex. */
export const MIN_TOKEN_LENGTH = 32;

/**
 * Makes a token from the system's cryptographic random source.
 *
 * @returns 64 hex digits (256 bits).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateToken } from "./token.ts";
 * assert.match(generateToken(), /^[0-9a-f]{64}$/);
 * ```
 */
export function generateToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(TOKEN_BYTES));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Checks the text of a token file: one line of visible ASCII without
 * spaces, at least {@linkcode MIN_TOKEN_LENGTH} characters (a final newline
 * is allowed).
 *
 * @param text The file's content.
 * @param path The file's path, for the message.
 * @returns The token.
 * @throws {SyntaxError} When it is not such a line, in one line naming the file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTokenFile } from "./token.ts";
 * assert.equal(parseTokenFile("a".repeat(32) + "\n", "t"), "a".repeat(32));
 * assert.throws(() => parseTokenFile("short\n", "t"), SyntaxError);
 * ```
 */
export function parseTokenFile(text: string, path: string): string {
  const fail = (reason: string): never => {
    throw new SyntaxError(
      `Cannot use the control token file ${path} (--control-token-file): ${reason}`,
    );
  };
  const body = text.endsWith("\r\n")
    ? text.slice(0, -2)
    : text.endsWith("\n")
    ? text.slice(0, -1)
    : text;
  if (body.includes("\n")) fail("it must hold one line, the token");
  if (body === "") fail("it is empty");
  if (!/^[\x21-\x7e]+$/.test(body)) fail("the token must be visible ASCII without spaces");
  if (body.length < MIN_TOKEN_LENGTH) {
    fail(`the token has ${body.length} characters; it needs at least ${MIN_TOKEN_LENGTH}`);
  }
  return body;
}

/**
 * Reads and checks a token file.
 *
 * @param path The file's path.
 * @returns The token.
 * @throws {SyntaxError} When the file cannot be read or is not one token line, in one line.
 */
export async function readTokenFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const why = fileErrorWords(error, "no such file");
    throw new SyntaxError(
      `Cannot read the control token file ${path} (--control-token-file): ${why}`,
    );
  }
  return parseTokenFile(text, path);
}

const encoder = new TextEncoder();

/**
 * Whether an `Authorization` header carries the token, compared in time
 * that does not depend on where the two first differ.
 *
 * @param header The header's value, such as `Bearer 3f...`, or `null`.
 * @param token The token.
 * @returns `true` for `Bearer <token>` (the scheme in any case).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bearerMatches } from "./token.ts";
 * assert.equal(bearerMatches("Bearer s3cret", "s3cret"), true);
 * assert.equal(bearerMatches("Bearer s3creT", "s3cret"), false);
 * assert.equal(bearerMatches(null, "s3cret"), false);
 * ```
 */
export function bearerMatches(header: string | null, token: string): boolean {
  if (header === null) return false;
  const space = header.indexOf(" ");
  if (space < 0 || header.slice(0, space).toLowerCase() !== "bearer") return false;
  const given = encoder.encode(header.slice(space + 1).trim());
  const wanted = encoder.encode(token);
  // Compare as many bytes as the token has, whatever the length given.
  let diff = given.length ^ wanted.length;
  for (let i = 0; i < wanted.length; i++) diff |= wanted[i] ^ (given[i] ?? 0);
  return diff === 0;
}
