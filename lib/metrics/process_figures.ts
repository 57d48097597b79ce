/**
 * The process's own figures, read when metrics are scraped: memory and CPU
 * time (no permission needed), the start time, and the open and allowed
 * file descriptors, which only procfs tells and Deno lets muxd read only
 * under `--allow-all`. A figure that cannot be read is left out.
 *
 * @module
 */

import process from "node:process";

/** The figures one scrape shows; a figure that could not be read is `null`. */
export interface ProcessSample {
  /** Resident memory, in bytes. */
  readonly residentBytes: number;
  /** The JavaScript heap in use, in bytes. */
  readonly heapUsedBytes: number;
  /** The JavaScript heap's size, in bytes. */
  readonly heapTotalBytes: number;
  /** User and system CPU time, in seconds. */
  readonly cpuSeconds: number;
  /** When the process started, in seconds since the Unix epoch. */
  readonly startSeconds: number;
  /** File descriptors open now (`/proc/self/fd`), or `null` without read access to it. */
  readonly openFds: number | null;
  /** The soft limit on open files (`/proc/self/limits`), or `null` without read access to it. */
  readonly maxFds: number | null;
}

/**
 * Reads the process's figures. The file-descriptor figures are tried only
 * when the read permission for them is granted (so a scrape never prompts);
 * once a read is refused (Deno 2.9 refuses `/proc` without `--allow-all`),
 * they are not tried again.
 *
 * @example
 * ```ts
 * import { ProcessFigures } from "./process_figures.ts";
 * import assert from "node:assert/strict";
 *
 * const sample = new ProcessFigures().read();
 * assert.ok(sample.residentBytes > 0);
 * assert.ok(sample.startSeconds <= Date.now() / 1000);
 * ```
 */
export class ProcessFigures {
  #procReadable: boolean | null = null;

  /**
   * Reads every figure now.
   *
   * @returns The figures.
   */
  read(): ProcessSample {
    const memory = Deno.memoryUsage();
    const cpu = process.cpuUsage();
    const fds = this.#fds();
    return {
      residentBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      startSeconds: performance.timeOrigin / 1000,
      openFds: fds?.open ?? null,
      maxFds: fds?.max ?? null,
    };
  }

  /** The open descriptors and their soft limit, or `null` when procfs may not be read. */
  #fds(): { open: number; max: number | null } | null {
    if (this.#procReadable === false) return null;
    const state = Deno.permissions.querySync({ name: "read", path: "/proc/self/fd" }).state;
    if (state !== "granted") return null;
    try {
      let open = 0;
      for (const _ of Deno.readDirSync("/proc/self/fd")) open++;
      const limits = Deno.readTextFileSync("/proc/self/limits");
      const max = /^Max open files\s+(\d+)/m.exec(limits);
      this.#procReadable = true;
      // The directory's own descriptor, open while it was read, is not counted.
      return { open: Math.max(0, open - 1), max: max ? Number(max[1]) : null };
    } catch (error) {
      if (
        !(error instanceof Deno.errors.NotCapable) &&
        !(error instanceof Deno.errors.PermissionDenied) &&
        !(error instanceof Deno.errors.NotFound)
      ) throw error;
      this.#procReadable = false;
      return null;
    }
  }
}
