/**
 * The soak switch of the reliability suite.
 *
 * @module
 */

/**
 * `MUXD_SOAK=1` (the `soak` task) runs the heavier variants: more
 * connections, more datagrams, still bounded in count and time.
 */
export const SOAK: boolean = Deno.env.get("MUXD_SOAK") === "1";
