/**
 * The names of muxd's services, as a closed set.
 *
 * @module
 */

/** Every service name, in the order `muxd services` lists them. */
export const SERVICE_NAMES = [
  "echo",
  "discard",
  "chargen",
  "qotd",
  "daytime",
  "time",
  "whoami",
  "size",
  "banner",
  "exec",
  // Relays.
  "forward",
] as const;

/** The name of one of muxd's services. */
export type ServiceName = typeof SERVICE_NAMES[number];

/**
 * Tells whether `name` is one of muxd's service names.
 *
 * @param name Any text.
 * @returns `true` when `name` is a {@linkcode ServiceName}.
 */
export function isServiceName(name: string): name is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(name);
}
