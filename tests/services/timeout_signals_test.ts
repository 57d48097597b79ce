import assert from "node:assert/strict";
import { silentUpstream } from "../_support/silent_upstream.ts";
import { isTimeout, TIMEOUT_SLOT_MS, TimeoutSignals } from "../../lib/services/timeout_signals.ts";

/** Resolves with the time from now to the signal's abort, in ms. */
function abortedAfter(signal: AbortSignal): Promise<number> {
  const started = performance.now();
  return new Promise((resolve) => {
    signal.addEventListener("abort", () => resolve(performance.now() - started), { once: true });
  });
}

Deno.test("TimeoutSignals.signal() aborts no earlier than its timeout, with a reason isTimeout() recognises", async () => {
  const shutdown = new AbortController();
  const timeouts = new TimeoutSignals(shutdown.signal);
  try {
    const signal = timeouts.signal(60);
    const waited = await abortedAfter(signal);
    // Timers may fire a millisecond early by the clock that measures them.
    assert.ok(waited >= 59, `aborted after ${waited} ms`);
    assert.ok(isTimeout(signal.reason));
    assert.equal(shutdown.signal.aborted, false);
  } finally {
    timeouts.close();
  }
});

Deno.test("TimeoutSignals.signal() hands out one signal per slot and timeout length", async () => {
  const timeouts = new TimeoutSignals(new AbortController().signal);
  try {
    const first = timeouts.signal(1000);
    assert.equal(timeouts.signal(1000), first, "the same slot shares its signal");
    assert.notEqual(timeouts.signal(2000), first, "another length has a slot of its own");
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_SLOT_MS + 5));
    assert.notEqual(timeouts.signal(1000), first, "a later slot has a new signal");
  } finally {
    timeouts.close();
  }
});

Deno.test("TimeoutSignals aborts the signals handed out when shutdown begins, with the shutdown's reason", async () => {
  const shutdown = new AbortController();
  const timeouts = new TimeoutSignals(shutdown.signal);
  try {
    const signals = [timeouts.signal(5000), timeouts.signal(3000)];
    shutdown.abort();
    for (const signal of signals) {
      assert.ok(signal.aborted);
      assert.equal(signal.reason, shutdown.signal.reason);
      assert.equal(isTimeout(signal.reason), false);
    }
    // One handed out later (a connection accepted as shutdown began) times out only.
    const late = timeouts.signal(30);
    assert.equal(late.aborted, false);
    await abortedAfter(late);
    assert.ok(isTimeout(late.reason));
  } finally {
    timeouts.close();
  }
});

Deno.test("TimeoutSignals.close() clears every timer, aborting what was still waiting", () => {
  // The op sanitizer fails this test should a timer outlive it.
  const timeouts = new TimeoutSignals(new AbortController().signal);
  const signal = timeouts.signal(60_000);
  timeouts.close();
  assert.ok(signal.aborted);
  assert.equal(isTimeout(signal.reason), false);
});

Deno.test("Deno.connect() given a timeout signal is cancelled by it, rejecting with its reason", async () => {
  await using silent = await silentUpstream();
  const { port } = silent;
  const timeouts = new TimeoutSignals(new AbortController().signal);
  try {
    const signal = timeouts.signal(100);
    const error = await Deno.connect({ hostname: "127.0.0.1", port, signal }).then(
      (conn) => {
        conn.close();
        return null;
      },
      (error: unknown) => error,
    );
    assert.equal(error, signal.reason);
    assert.ok(isTimeout(error));
  } finally {
    timeouts.close();
  }
});
