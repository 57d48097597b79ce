import assert from "node:assert/strict";
import { EventHub, type ServerEvent } from "../../lib/events/mod.ts";

const local = { address: "127.0.0.1", port: 7007 };
const remote = { address: "127.0.0.1", port: 40000 };
const base = {
  time: 0,
  transport: "udp",
  listener: "udp://127.0.0.1:7007=echo",
  service: "echo",
  local,
  remote,
} as const;
const datagram: ServerEvent = { ...base, type: "datagram", bytesIn: 3 };
const reply: ServerEvent = { ...base, type: "reply", bytesOut: 3 };

Deno.test("EventHub gives a sink subscribed to some types those only, and the others every event", () => {
  const hub = new EventHub();
  const some: string[] = [];
  const every: string[] = [];
  hub.subscribe((e) => some.push(e.type), ["datagram"]);
  hub.emit(datagram);
  hub.emit(reply);
  hub.subscribe((e) => every.push(e.type));
  hub.emit(datagram);
  hub.emit(reply);
  assert.deepEqual(some, ["datagram", "datagram"]);
  assert.deepEqual(every, ["datagram", "reply"]);
});

Deno.test("EventHub.wants() says whether a sink takes a type now, as sinks come and go", () => {
  const hub = new EventHub();
  assert.equal(hub.wants("datagram"), false, "no sink, nothing wanted");
  const log = hub.subscribe(() => {}, ["datagram"]);
  assert.equal(hub.wants("datagram"), true);
  assert.equal(hub.wants("reply"), false);
  const feed = hub.subscribe(() => {});
  assert.equal(hub.wants("reply"), true, "a sink of every type wants replies");
  feed();
  assert.equal(hub.wants("reply"), false, "its going is seen at once");
  log();
  assert.equal(hub.wants("datagram"), false);
});

Deno.test("EventHub: a sink that leaves while an event is handed out leaves the others their event", () => {
  const hub = new EventHub();
  const seen: string[] = [];
  const leave = hub.subscribe(() => leave(), ["reply"]);
  hub.subscribe((e) => seen.push(e.type), ["reply"]);
  hub.emit(reply);
  hub.emit(reply);
  assert.deepEqual(seen, ["reply", "reply"]);
  assert.equal(hub.wants("reply"), true);
});
