// When the Draw panel (web/js/draw.js) asks the worker what the drawing is, and which answer it
// shows and announces.
//
// One prediction at a time, always of the newest ink: every change of the ink asks for one; while
// one is on its way the next waits, and when it returns only the newest ink is sent. So while the
// pen moves, the network follows it as fast as the worker answers, and when the pen lifts the
// answer for the final ink is usually on screen already, or on its way. Lifting the pen (or Enter)
// never sends the same ink twice: it asks for the answer to be announced, at once if it is shown.
//
// The pad tells which ink is which: pad.version changes with every change of the ink
// (web/js/pad.js).

/**
 * @param client  {ready, call(kind, payload)}: the worker (web/js/client.js)
 * @param display {show(result, roundTripMs, announce), announce(result), clear(), waiting(), failed(err)}
 * @param onState called with {finished, busy} after every change: predictions finished so far,
 *                and whether one is on its way or the ink on the pad has no answer yet
 */
export function makePredictor(client, display, onState = () => {}) {
  let pad = null;
  let generation = 0; // bumps on every clear, so late answers for an old drawing are dropped
  let inFlight = false;
  let sent = null; // ink version of the newest request (null: the network changed since)
  let shown = null; // {version, result} of the answer on screen
  let announceFor = null; // ink version whose answer is announced once on screen (the pen lifted)
  let finished = 0;

  const answered = () => !pad.hasInk || sent === pad.version;
  const busy = () => inFlight || !answered();
  const state = () => onState({ finished, busy: busy() });

  async function run() {
    if (inFlight || answered()) return state();
    const version = pad.version;
    const mine = generation;
    sent = version;
    inFlight = true;
    state();
    const started = performance.now();
    if (!client.ready) display.waiting();
    try {
      const result = await client.call("predict", pad.drawing());
      if (mine === generation) {
        if (result.empty) {
          display.clear();
          shown = null;
        } else {
          const speak = version === announceFor && version === pad.version;
          display.show(result, performance.now() - started, speak);
          shown = { version, result };
          if (speak) announceFor = null;
        }
      }
    } catch (err) {
      if (mine === generation) display.failed(err);
    } finally {
      inFlight = false;
      finished += 1;
      run();
    }
  }

  return {
    usePad(p) {
      pad = p;
      state();
    },
    /** The ink changed: predict it as soon as the worker is free. */
    request() {
      run();
    },
    /** The pen lifted (or Enter): announce the answer for this ink, now if it is on screen. */
    release() {
      announceFor = pad.version;
      if (!busy() && shown && shown.version === pad.version) {
        display.announce(shown.result);
        announceFor = null;
      }
      run();
    },
    /** The same ink deserves a fresh answer (the network changed). */
    refresh() {
      sent = null;
      run();
    },
    /** The drawing was cleared: drop any answer still on its way. */
    forget() {
      generation += 1;
      sent = pad.version;
      shown = null;
      announceFor = null;
      state();
    },
  };
}
