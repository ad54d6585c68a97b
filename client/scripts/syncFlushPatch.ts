/**
 * The build patch that makes automerge-repo flush outgoing sync faster.
 *
 * automerge-repo 2.5 batches outgoing sync at 10 Hz (`DocSynchronizer.syncDebounceRate = 100`,
 * not configurable through Repo), which puts up to 100 ms between a keystroke and the wire for
 * a fast typist. Pairing wants less: flush at most every SYNC_FLUSH_MS (still batching bursts;
 * the server's frame-rate limit is 500/s). Measured with `npm run measure`; see README.
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

/** Returns DocSynchronizer.js with the faster flush, or throws saying why it can't. */
export function patchDocSynchronizer(code: string, flushMs = SYNC_FLUSH_MS): string {
  const hits = code.match(STOCK)?.length ?? 0
  if (hits !== 1) {
    throw new Error(
      `pairpad: expected exactly one "syncDebounceRate = 100;" in automerge-repo's DocSynchronizer.js, found ${hits}. ` +
        "automerge-repo changed: update scripts/syncFlushPatch.ts (the client would otherwise sync at 10 Hz).",
    )
  }
  return code.replace(STOCK, `syncDebounceRate = ${flushMs};`)
}
