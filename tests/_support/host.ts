/**
 * What this host offers the tests, each as a reason to skip or a number:
 * IPv6 loopback, `ss`, `prlimit`, and the open-files limit.
 *
 * @module
 */

/**
 * Tells whether this host can bind TCP on `[::1]`.
 *
 * @returns `null` when it can, or why not.
 */
export function ipv6LoopbackProblem(): string | null {
  try {
    using _listener = Deno.listen({ hostname: "::1", port: 0 });
    return null;
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
}

/**
 * Why `ss` (iproute2) cannot be run here, or `null` when it can.
 *
 * @returns The reason, or `null`.
 */
export async function ssProblem(): Promise<string | null> {
  if (Deno.build.os !== "linux") return `ss is Linux's (this is ${Deno.build.os})`;
  try {
    const { success } = await new Deno.Command("ss", { args: ["-V"], stdout: "null" }).output();
    return success ? null : "ss -V failed";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "ss is not installed (iproute2)";
    if (error instanceof Deno.errors.NotCapable) return "ss may not be run (needs --allow-run=ss)";
    throw error;
  }
}

/** Why `prlimit` (util-linux) cannot be run here, or `null` when it can. */
export function prlimitProblem(): string | null {
  try {
    return new Deno.Command("prlimit", { args: ["--version"], stdout: "null", stderr: "null" })
        .outputSync().success
      ? null
      : "prlimit --version failed";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "prlimit (util-linux) is not installed";
    throw error;
  }
}

/**
 * The open-files limit (soft) of a shell started from here, which muxd
 * started from here shares: `sh -c "ulimit -n"`. (Deno refuses to read
 * `/proc/self/limits` without `--allow-all`.)
 *
 * @returns The limit, `Infinity` for "unlimited", or `null` where it cannot be learnt.
 */
export async function openFilesLimit(): Promise<number | null> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("sh", { args: ["-c", "ulimit -n"], stderr: "null" }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotCapable) {
      return null;
    }
    throw error;
  }
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) return null;
  if (text === "unlimited") return Infinity;
  return /^\d+$/.test(text) ? Number(text) : null;
}
