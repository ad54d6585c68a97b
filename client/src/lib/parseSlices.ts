/**
 * Imported first (main.tsx), before CodeMirror's modules run.
 *
 * CodeMirror parses a long document in the background in slices. Where the browser has
 * `navigator.scheduling.isInputPending` (Chromium), a slice may run for up to 100 ms and
 * yields only to pending *input*, so an edit that arrives over the WebSocket meanwhile
 * (a partner's keystroke) waits for the rest of the slice; without it, slices end at the
 * idle period's deadline (25-45 ms). @codemirror/language reads the function once, when
 * its module is evaluated, so hiding it here gives every editor the shorter slices.
 * Measured in a 600,000-character file (BENCHMARKS.md, "Long files in the browser").
 */
const scheduling = (navigator as Navigator & { scheduling?: { isInputPending?: unknown } }).scheduling
if (scheduling && typeof scheduling.isInputPending === "function") {
  try {
    Object.defineProperty(scheduling, "isInputPending", { value: undefined, configurable: true })
  } catch {
    // not configurable in this browser: keep CodeMirror's default
  }
}

export {}
