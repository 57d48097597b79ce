/**
 * A fake `ss` for the holder tests: it answers what the test says, per
 * transport if the test wants, and records the arguments of every run.
 *
 * @module
 */

import type { FindHoldersOptions, SsOutput } from "../../lib/holder/mod.ts";

/** What one run of the fake `ss` gives: its output (code 0, empty streams by default), or `null`. */
export type SsAnswer = Partial<SsOutput> | null;

/** The fake: the options to hand findHolders() and the arguments of each run. */
export interface FakeSs {
  readonly options: FindHoldersOptions;
  readonly calls: string[][];
}

/**
 * Makes a fake `ss` on Linux, run as root.
 *
 * @param answer One answer for every run, or one for TCP (`-t`) and one for UDP.
 * @returns The fake.
 */
export function fakeSs(answer: SsAnswer | { tcp: SsAnswer; udp: SsAnswer }): FakeSs {
  const calls: string[][] = [];
  const byTransport = answer !== null && "tcp" in answer && "udp" in answer;
  const options: FindHoldersOptions = {
    os: "linux",
    uid: 0,
    run: (args) => {
      calls.push([...args]);
      const given = byTransport ? (args.includes("-t") ? answer.tcp : answer.udp) : answer;
      return Promise.resolve(given === null ? null : { code: 0, stdout: "", stderr: "", ...given });
    },
  };
  return { calls, options };
}
