/**
 * connectedPeersBySs(): which UDP sockets are connected to a port, from one
 * `ss` run for every port. A flood across a port range trips every listener
 * at once: one `ss` runs and one waits, however many ask.
 */

import assert from "node:assert/strict";
import { connectedPeersBySs } from "../../lib/holder/connected_peers.ts";
import type { SsOutput } from "../../lib/holder/types.ts";

/** An `ss` whose runs the test ends one by one, each answering with `stdout`. */
function heldSs(stdout: string) {
  const runs: PromiseWithResolvers<SsOutput>[] = [];
  const run = () => {
    const held = Promise.withResolvers<SsOutput>();
    runs.push(held);
    return held.promise;
  };
  const finish = (i: number) => runs[i].resolve({ code: 0, stdout, stderr: "" });
  return { run, runs, finish };
}

const TABLE = "ESTAB 0 0 127.0.0.1:40001 127.0.0.1:7001\n" +
  "ESTAB 0 0 127.0.0.1:40002 127.0.0.1:7002\n" +
  "UNCONN 0 0 127.0.0.1:7001 0.0.0.0:*\n";

Deno.test("connectedPeersBySs() answers 500 asks of many ports at once with two runs of ss: the first ask's, and one for all the rest", async () => {
  const ss = heldSs(TABLE);
  const lookup = connectedPeersBySs(ss.run);
  const asks = Array.from({ length: 500 }, (_, i) => lookup(7001 + (i % 3)));
  assert.equal(ss.runs.length, 1);
  ss.finish(0);
  await asks[0];
  await Promise.resolve();
  assert.equal(ss.runs.length, 2);
  ss.finish(1);
  const answers = await Promise.all(asks);
  assert.deepEqual([...answers[0]!], ["127.0.0.1 40001"]);
  assert.deepEqual([...answers[1]!], ["127.0.0.1 40002"]);
  assert.deepEqual([...answers[2]!], []);
  assert.equal(ss.runs.length, 2);
});

Deno.test("connectedPeersBySs(): an ask while ss runs waits for the next run, which every such ask shares", async () => {
  const ss = heldSs(TABLE);
  const lookup = connectedPeersBySs(ss.run);
  const first = lookup(7001);
  const later = [lookup(7001), lookup(7002), lookup(7003)];
  assert.equal(ss.runs.length, 1);
  ss.finish(0);
  await first;
  await Promise.resolve();
  assert.equal(ss.runs.length, 2, "the waiting asks start one more run");
  ss.finish(1);
  await Promise.all(later);
  assert.equal(ss.runs.length, 2);
});

Deno.test("connectedPeersBySs() answers null where ss cannot run or fails", async () => {
  assert.equal(await connectedPeersBySs(() => Promise.resolve(null))(7001), null);
  const failed = { code: 1, stdout: "", stderr: "boom" };
  assert.equal(await connectedPeersBySs(() => Promise.resolve(failed))(7001), null);
});
