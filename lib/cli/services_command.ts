/**
 * `muxd services`: the service table.
 *
 * @module
 */

import { SERVICE_NAMES } from "../services/names.ts";
import { getService } from "../services/registry.ts";

/**
 * An option's default as the table says it: `default "5"`, or `required`
 * for one whose default does not parse (exec's `run`, forward's `to`: the
 * spec must set it).
 */
function defaultOf(option: { readonly default: string; parse(text: string): unknown }): string {
  try {
    option.parse(option.default);
    return `default "${option.default}"`;
  } catch (error) {
    if (!(error instanceof RangeError) && !(error instanceof SyntaxError)) throw error;
    return "required";
  }
}

/**
 * The service table as text: name, transports, RFC, and what it does.
 *
 * @returns Lines of text, without a trailing newline.
 */
export function servicesTable(): string {
  const rows = SERVICE_NAMES.map((name) => {
    const s = getService(name);
    const transports = [s.tcp ? "tcp" : "", s.udp || s.udpRelay ? "udp" : ""].filter(Boolean).join(
      "+",
    );
    const options = s.options.map((o) => ` (option ${o.key}, ${defaultOf(o)})`).join("");
    return [name, transports, s.rfc === null ? "muxd" : `RFC ${s.rfc}`, s.summary + options];
  });
  const header = ["SERVICE", "TRANSPORT", "DEFINED BY", "WHAT IT DOES"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows]
    .map((r) => r.map((c, i) => i === r.length - 1 ? c : c.padEnd(widths[i])).join("  "))
    .join("\n");
}
