/**
 * The build patch that makes automerge-repo flush outgoing sync faster.
 *
 * automerge-repo 2.5 batches outgoing sync at 10 Hz (`DocSynchronizer.syncDebounceRate = 100`,
 * not configurable through Repo), which puts up to 100 ms between a keystroke and the wire for
 * a fast typist. Pairing wants less: flush at most every SYNC_FLUSH_MS (still batching bursts;
 * the server's frame-rate limit is 500/s). Measured with `npm run measure`; see README.
 *
 * Second, the first change after a quiet spell (longer than SYNC_FLUSH_MS) goes out on a
 * microtask, not on a `setTimeout(…, 0)` as automerge-repo's `asyncThrottle` does: after a
 * keystroke Chromium defers timers until the next frame has been drawn, which held every
 * keystroke 10-16 ms in an empty room and ~40 ms in a 600,000-character one before it
 * reached the socket (measured with `npm run measure`'s latency split; BENCHMARKS.md).
 * `eagerThrottle` below replaces `asyncThrottle` for the change handler only.
 *
 * The patch is applied by the Vite plugin in vite.config.ts to the production build and to
 * the unit tests (the dev server pre-bundles dependencies without it: 10 Hz there).
 * When automerge-repo changes so that the patch no longer applies, the build fails: a silent
 * fallback to 10 Hz would double the keystroke latency between browsers.
 */
export const SYNC_FLUSH_MS = 20

/** Module ids the patch applies to. */
export const DOC_SYNCHRONIZER_ID = /@automerge[\\/]automerge-repo[\\/]dist[\\/]synchronizer[\\/]DocSynchronizer\.js$/

const STOCK = /\bsyncDebounceRate = 100;/g
const STOCK_THROTTLE = 'handle.on("change", asyncThrottle(() => this.#syncWithPeers(), this.syncDebounceRate));'

/**
 * Runs `fn` at most once per `delay` ms and never two at once; a call while a run is
 * waiting is covered by that run, a call while one runs schedules one more after it.
 * When `delay` has passed since the last run ended, the run starts on a microtask.
 * (`fn` reads the document when it runs, so calls carry no arguments.)
 * Plain JavaScript source, because it is injected into automerge-repo's module as is.
 */
export const EAGER_THROTTLE_SOURCE = `function eagerThrottle(fn, delay) {
  let last = -Infinity
  let scheduled = false
  let running = false
  let again = false
  const run = () => {
    scheduled = false
    running = true
    Promise.resolve()
      .then(fn)
      .catch(e => console.error("pairpad: sync flush failed", e))
      .finally(() => {
        running = false
        last = Date.now()
        if (again) {
          again = false
          schedule()
        }
      })
  }
  const schedule = () => {
    if (scheduled) return
    if (running) {
      again = true
      return
    }
    scheduled = true
    const wait = last + delay - Date.now()
    if (wait <= 0) queueMicrotask(run)
    else setTimeout(run, wait)
  }
  return schedule
}`

/** The injected function, for tests. */
export const eagerThrottle = new Function(`return (${EAGER_THROTTLE_SOURCE})`)() as (fn: () => unknown, delay: number) => () => void

/** Returns DocSynchronizer.js with the faster flush, or throws saying why it can't. */
export function patchDocSynchronizer(code: string, flushMs = SYNC_FLUSH_MS): string {
  const hits = code.match(STOCK)?.length ?? 0
  if (hits !== 1) {
    throw new Error(
      `pairpad: expected exactly one "syncDebounceRate = 100;" in automerge-repo's DocSynchronizer.js, found ${hits}. ` +
        "automerge-repo changed: update scripts/syncFlushPatch.ts (the client would otherwise sync at 10 Hz).",
    )
  }
  const throttles = code.split(STOCK_THROTTLE).length - 1
  if (throttles !== 1) {
    throw new Error(
      `pairpad: expected exactly one '${STOCK_THROTTLE}' in automerge-repo's DocSynchronizer.js, found ${throttles}. ` +
        "automerge-repo changed: update scripts/syncFlushPatch.ts (keystrokes would otherwise wait for a timer).",
    )
  }
  return (
    code
      .replace(STOCK, `syncDebounceRate = ${flushMs};`)
      .replace(STOCK_THROTTLE, STOCK_THROTTLE.replace("asyncThrottle(", "__pairpadEagerThrottle(")) +
    `\nconst __pairpadEagerThrottle = ${EAGER_THROTTLE_SOURCE};\n`
  )
}
