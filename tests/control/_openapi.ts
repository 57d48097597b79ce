/**
 * Checks control API responses against docs/control.openapi.json with a
 * JSON Schema 2020-12 validator (ajv), and records which documented
 * (method, path, status) each test exercised, so that a test can assert
 * every one was.
 *
 * @module
 */

import assert from "node:assert/strict";
// A test tool: not in deno.json's import map, whose every package `deno task serve`
// installs on a run (tests/project/dependencies_test.ts).
// deno-lint-ignore no-import-prefix
import { Ajv2020 } from "npm:ajv@^8.17.1/dist/2020.js";

const DOC_URL = new URL("../../docs/control.openapi.json", import.meta.url);

type Json = Record<string, unknown>;

/** The documented responses, and a validator of real ones. */
export class OpenApiChecker {
  readonly doc: Json;
  readonly #ajv: InstanceType<typeof Ajv2020>;
  readonly seen = new Set<string>();

  constructor() {
    this.doc = JSON.parse(Deno.readTextFileSync(DOC_URL));
    this.#ajv = new Ajv2020({ strict: false, allErrors: true });
    this.#ajv.addSchema({ ...this.doc, $id: "openapi" });
  }

  /** Every documented `METHOD /path STATUS`. */
  documented(): string[] {
    const out: string[] = [];
    for (const [path, item] of Object.entries(this.doc.paths as Json)) {
      for (const [method, op] of Object.entries(item as Json)) {
        if (method === "parameters") continue;
        for (const status of Object.keys((op as Json).responses as Json)) {
          out.push(`${method.toUpperCase()} ${path} ${status}`);
        }
      }
    }
    return out.sort();
  }

  /**
   * Asserts that a response is documented for the request and that its
   * body matches the documented schema; records it as seen.
   *
   * @returns The parsed JSON body, a text body, or `null` for an event stream.
   */
  async check(
    method: string,
    template: string,
    response: Response,
  ): Promise<unknown> {
    const key = `${method} ${template} ${response.status}`;
    const op = ((this.doc.paths as Json)[template] as Json | undefined)?.[method.toLowerCase()] as
      | Json
      | undefined;
    assert.ok(op, `undocumented operation ${method} ${template}`);
    const pointer = `/paths/${
      escape(template)
    }/${method.toLowerCase()}/responses/${response.status}`;
    let resolved = (op.responses as Json)[String(response.status)] as Json | undefined;
    assert.ok(resolved, `undocumented response ${key}`);
    let at = pointer;
    if (typeof resolved.$ref === "string") {
      at = resolved.$ref.slice(1);
      resolved = this.#at(at);
    }
    this.seen.add(key);
    const type = response.headers.get("content-type") ?? "";
    const content = resolved.content as Json | undefined;
    if (type.startsWith("text/event-stream")) {
      assert.ok(content?.["text/event-stream"], `${key}: an event stream is not documented`);
      return null;
    }
    if (type.startsWith("text/plain")) {
      assert.ok(content?.["text/plain"], `${key}: a text body is not documented`);
      return await response.text();
    }
    assert.ok(type.startsWith("application/json"), `${key}: content-type ${type}`);
    const body = await response.json();
    const validate = this.#ajv.compile({ $ref: `openapi#${at}/content/application~1json/schema` });
    assert.ok(
      validate(body),
      `${key}: ${JSON.stringify(validate.errors)} in ${JSON.stringify(body)}`,
    );
    return body;
  }

  /**
   * Validates one value against a named component schema.
   *
   * @param name Such as `StreamItem`.
   * @param value The value.
   */
  component(name: string, value: unknown): void {
    const validate = this.#ajv.getSchema(`openapi#/components/schemas/${name}`)!;
    assert.ok(validate(value), `${name}: ${JSON.stringify(validate.errors)}`);
  }

  #at(pointer: string): Json {
    let node: unknown = this.doc;
    for (const part of pointer.split("/").slice(1)) {
      node = (node as Json)[part.replaceAll("~1", "/").replaceAll("~0", "~")];
    }
    return node as Json;
  }
}

function escape(path: string): string {
  return path.replaceAll("~", "~0").replaceAll("/", "~1");
}
