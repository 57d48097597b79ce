/**
 * A real browser for end-to-end tests: Debian's `chromium`, headless, driven
 * by `playwright-core`. Never a browser that Playwright downloads.
 */

import fs from "node:fs";
// Imported here by its npm specifier, not through deno.json's imports: Deno
// installs every package of that map on a run, and muxd does not use this one.
// deno-lint-ignore no-import-prefix
import type { Browser, Page } from "npm:playwright-core@1.65.1";

export type { Browser, Page };

/** Where Debian's `chromium` package puts the browser. */
export const CHROMIUM = "/usr/bin/chromium";

/** Flags for a headless run in CI and containers (no sandbox, no GPU, no network chatter). */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/**
 * Tells whether the browser can be run.
 *
 * @returns `null` when it can, or why not.
 */
export function chromiumProblem(): string | null {
  try {
    const info = Deno.statSync(CHROMIUM);
    return info.isFile ? null : `${CHROMIUM} is not a file`;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return `${CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)`;
    }
    throw error;
  }
}

/**
 * Starts headless Chromium. Close it in `finally` (or with `await using`).
 *
 * @returns The browser.
 */
export async function launchChromium(): Promise<Browser & AsyncDisposable> {
  allowPlaywrightsWslProbe();
  // deno-lint-ignore no-import-prefix
  const { chromium } = await import("npm:playwright-core@1.65.1");
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  return Object.assign(browser, { [Symbol.asyncDispose]: () => browser.close() });
}

let probeAllowed = false;

/**
 * When it is loaded, playwright-core asks `fs.existsSync()` whether
 * `/proc/sys/fs/binfmt_misc/WSLInterop` exists, to detect WSL. Deno lets a
 * program read `/proc` only with `--allow-all` (not with `--allow-read`),
 * and its `existsSync` throws `NotCapable` instead of returning `false`, so
 * the import itself would fail. Answer `false` for that one case, as Node
 * does for a path it cannot read; everything else goes through unchanged.
 */
function allowPlaywrightsWslProbe(): void {
  if (probeAllowed) return;
  probeAllowed = true;
  const existsSync = fs.existsSync;
  fs.existsSync = ((path: fs.PathLike) => {
    try {
      return existsSync(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotCapable && String(path).startsWith("/proc/")) {
        return false;
      }
      throw error;
    }
  }) as typeof fs.existsSync;
}
