// The Draw panel's predictions (web/js/predictor.js): which ink is sent, when, and which answer is
// shown and announced. The worker and the canvas are stand-ins that the tests answer by hand.
import assert from "node:assert/strict";
import { test } from "node:test";
import { makePredictor } from "../../web/js/predictor.js";

function setup({ ready = true } = {}) {
  const calls = []; // {ink, resolve, reject}
  const client = {
    ready,
    call(kind, payload) {
      assert.equal(kind, "predict");
      return new Promise((resolve, reject) => calls.push({ ink: payload.pixels[0], resolve, reject }));
    },
  };
  const pad = {
    hasInk: false,
    version: 0,
    draw() {
      pad.hasInk = true;
      pad.version += 1;
    },
    clear() {
      pad.hasInk = false;
      pad.version += 1;
    },
    // The stand-in's ink is its version, so a request tells which ink it read.
    drawing: () => ({ pixels: new Uint8Array([pad.version]), width: 1, height: 1 }),
  };
  const seen = { shown: [], announced: [], waiting: 0, failed: [], cleared: 0 };
  const display = {
    show: (result, ms, speak) => {
      seen.shown.push(result.digit);
      if (speak) seen.announced.push(result.digit);
    },
    announce: (result) => seen.announced.push(result.digit),
    clear: () => (seen.cleared += 1),
    waiting: () => (seen.waiting += 1),
    failed: (err) => seen.failed.push(err.message),
  };
  const states = [];
  const predictor = makePredictor(client, display, (s) => states.push(s));
  predictor.usePad(pad);
  // Answer the oldest open request with the digit equal to the ink it read.
  const answer = async () => {
    const call = calls.shift();
    call.resolve({ digit: call.ink, probs: [] });
    await new Promise((r) => setImmediate(r));
    return call.ink;
  };
  const state = () => states[states.length - 1];
  return { calls, pad, predictor, seen, answer, state };
}

test("every change of the ink is sent at once when the worker is free", async () => {
  const { calls, pad, predictor, answer } = setup();
  pad.draw();
  predictor.request();
  assert.deepEqual(calls.map((c) => c.ink), [1]);
  await answer();
  pad.draw();
  predictor.request();
  assert.deepEqual(calls.map((c) => c.ink), [2]);
});

test("changes made while one is on its way wait, and only the newest ink is sent", async () => {
  const { calls, pad, predictor, seen, answer } = setup();
  pad.draw();
  predictor.request();
  for (let i = 0; i < 3; i++) {
    pad.draw();
    predictor.request();
  }
  assert.equal(calls.length, 1, "one prediction at a time");
  assert.equal(await answer(), 1);
  assert.deepEqual(calls.map((c) => c.ink), [4], "the newest ink, not the ones in between");
  await answer();
  assert.deepEqual(seen.shown, [1, 4]);
  assert.equal(calls.length, 0);
});

test("lifting the pen on an ink already answered sends nothing and announces at once", async () => {
  const { calls, pad, predictor, seen, answer, state } = setup();
  pad.draw();
  predictor.request();
  await answer();
  assert.equal(state().busy, false);
  predictor.release();
  assert.equal(calls.length, 0, "the same ink is not sent twice");
  assert.deepEqual(seen.announced, [1]);
  predictor.release(); // Enter again: announced again, still nothing sent
  assert.deepEqual(seen.announced, [1, 1]);
  assert.equal(calls.length, 0);
});

test("lifting the pen while its ink is on its way announces that answer when it comes", async () => {
  const { calls, pad, predictor, seen, answer } = setup();
  pad.draw();
  predictor.request();
  predictor.release();
  assert.equal(calls.length, 1);
  assert.deepEqual(seen.announced, []);
  await answer();
  assert.deepEqual(seen.announced, [1]);
  assert.equal(calls.length, 0, "nothing sent again");
});

test("lifting the pen while an older ink is on its way announces only the final ink's answer", async () => {
  const { calls, pad, predictor, seen, answer } = setup();
  pad.draw();
  predictor.request();
  pad.draw();
  predictor.request();
  predictor.release();
  await answer();
  assert.deepEqual(seen.shown, [1]);
  assert.deepEqual(seen.announced, [], "the answer for an older ink is shown, not announced");
  await answer();
  assert.deepEqual(seen.shown, [1, 2]);
  assert.deepEqual(seen.announced, [2]);
});

test("busy while an answer is on its way or the ink has none; finished counts answers", async () => {
  const { pad, predictor, answer, state } = setup();
  assert.deepEqual(state(), { finished: 0, busy: false });
  pad.draw();
  assert.equal(state().busy, false, "not told yet");
  predictor.request();
  assert.equal(state().busy, true);
  pad.draw();
  predictor.request();
  await answer();
  assert.deepEqual(state(), { finished: 1, busy: true }, "the newest ink is on its way");
  await answer();
  assert.deepEqual(state(), { finished: 2, busy: false });
});

test("a new network asks again for the same ink", async () => {
  const { calls, pad, predictor, seen, answer } = setup();
  predictor.refresh();
  assert.equal(calls.length, 0, "nothing to read on an empty pad");
  pad.draw();
  predictor.request();
  await answer();
  predictor.refresh();
  assert.deepEqual(calls.map((c) => c.ink), [1]);
  await answer();
  assert.deepEqual(seen.shown, [1, 1]);
});

test("a new network while an answer is on its way asks again once it returns", async () => {
  const { calls, pad, predictor, answer } = setup();
  pad.draw();
  predictor.request();
  predictor.refresh();
  assert.equal(calls.length, 1);
  await answer();
  assert.deepEqual(calls.map((c) => c.ink), [1], "the old network's answer is replaced");
});

test("clearing drops the answer still on its way, and the next drawing is read", async () => {
  const { calls, pad, predictor, seen, answer, state } = setup();
  pad.draw();
  predictor.request();
  predictor.release();
  pad.clear();
  predictor.forget();
  await answer();
  assert.deepEqual(seen.shown, [], "a late answer for a cleared drawing is dropped");
  assert.deepEqual(seen.announced, []);
  assert.equal(state().busy, false);
  pad.draw();
  predictor.request();
  assert.deepEqual(calls.map((c) => c.ink), [3]);
});

test("a drawing made before Python is ready says so and is read when the worker answers", async () => {
  const { calls, pad, predictor, seen, answer } = setup({ ready: false });
  pad.draw();
  predictor.request();
  assert.equal(seen.waiting, 1);
  pad.draw();
  predictor.request();
  predictor.release();
  await answer();
  await answer();
  assert.deepEqual(seen.announced, [2]);
  assert.equal(calls.length, 0);
});

test("a failed prediction is shown and not retried until the ink changes", async () => {
  const { calls, pad, predictor, seen, state } = setup();
  pad.draw();
  predictor.request();
  calls.shift().reject(new Error("worker died"));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen.failed, ["worker died"]);
  assert.equal(calls.length, 0);
  assert.equal(state().busy, false);
  pad.draw();
  predictor.request();
  assert.equal(calls.length, 1);
});

test("a release whose answer had not come is not announced once the pen draws on", async () => {
  const { pad, predictor, seen, answer } = setup();
  pad.draw();
  predictor.request();
  predictor.release(); // first stroke ends while its answer is on its way
  pad.draw(); // the second stroke starts at once
  predictor.request();
  await answer();
  await answer();
  assert.deepEqual(seen.shown, [1, 2]);
  assert.deepEqual(seen.announced, [], "nothing announced while the pen draws");
  predictor.release();
  assert.deepEqual(seen.announced, [2]);
});
