/**
 * The table of services, one entry per {@linkcode ServiceName}.
 *
 * @module
 */

import { banner } from "./banner.ts";
import { chargen } from "./chargen.ts";
import { daytime } from "./daytime.ts";
import { discard } from "./discard.ts";
import { echo } from "./echo.ts";
import { exec } from "./exec.ts";
import { forward } from "./forward.ts";
import type { ServiceName } from "./names.ts";
import { qotd } from "./qotd.ts";
import type { Service } from "./service.ts";
import { size } from "./size.ts";
import { time } from "./time.ts";
import { whoami } from "./whoami.ts";

/**
 * Every service, keyed by name, in the order of
 * {@linkcode SERVICE_NAMES}. Adding a name there without an entry here fails
 * type checking.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SERVICES } from "./registry.ts";
 *
 * assert.equal(SERVICES.echo.rfc, 862);
 * ```
 */
export const SERVICES = {
  echo,
  discard,
  chargen,
  qotd,
  daytime,
  time,
  whoami,
  size,
  banner,
  exec,
  // Relays.
  forward,
} as const satisfies Record<ServiceName, Service>;

/**
 * Looks up the service named `name`.
 *
 * @param name A service name, already checked (see {@linkcode isServiceName}).
 * @returns The service.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getService } from "./registry.ts";
 *
 * assert.equal(getService("banner").udp, undefined);
 * ```
 */
export function getService(name: ServiceName): Service {
  return SERVICES[name];
}
