/**
 * Parses up to the part of a long document on screen promptly, in short slices.
 *
 * CodeMirror parses in the background from idle callbacks: a slice of 25-100 ms, then a
 * pause of at least 100 ms, within a budget of 3 s per 30 s (renewed only while the editor
 * has focus). Open a 600,000-character file and go to the middle, and the syntax tree
 * still ends ~100,000 characters in a few seconds later. Until it reaches the screen, stock
 * CodeMirror has every change, typed here or arriving from a partner, parse toward it
 * synchronously for up to 20 ms before the editor shows the change (the build skips that:
 * scripts/parseBudgetPatch.ts), so the sooner it gets there the better (BENCHMARKS.md,
 * "Long files in the browser").
 *
 * This plugin notices when the tree does not reach `CATCH_UP_AHEAD` characters past the
 * viewport and moves the parse there with `ensureSyntaxTree`, `CATCH_UP_STEP` characters
 * or `CATCH_UP_SLICE_MS` at a time,
 * each slice its own task (a `setTimeout`: a WebSocket message, a key or another timer
 * waiting in between runs first; a MessageChannel loop was measured to hold the page's
 * timers back while a long file opened). Only the live editor has it (CodeEditor), not
 * the preview shown while the document loads. It stops when the tree
 * reaches the target (then one empty transaction puts the new tree in the editor's state,
 * as `forceParsing` does; unlike it, no transaction for the slices in between), when the
 * editor goes away, or when there is no parser.
 */
import { ensureSyntaxTree, language, syntaxTree, syntaxTreeAvailable } from "@codemirror/language"
import { ViewPlugin, type EditorView, type ViewUpdate } from "@codemirror/view"

export const CATCH_UP_SLICE_MS = 6
export const CATCH_UP_AHEAD = 5_000
/**
 * How far one slice aims past the tree so far. A slice that gets there ends with a finished
 * tree; one that runs out of time leaves a parse in progress, which the next change has to
 * finish before it can show (ParseContext.changes, kept by scripts/parseBudgetPatch.ts):
 * the shorter that parse, the less a keystroke waits for it. ~10 ms of parsing on a warm
 * page for TypeScript.
 */
export const CATCH_UP_STEP = 10_000

export type Post = (fn: () => void) => void

/** Runs `fn` as a task of its own, after whatever is already waiting. */
export const postTask: Post = fn => void setTimeout(fn, 0)

type ViewLike = Pick<EditorView, "state" | "viewport" | "dispatch">

export class ParseCatchUp {
  /** slices run so far (for tests and debugging) */
  slices = 0
  private pending = false
  private destroyed = false
  /** where the parse has got to (a finished tree up to here) */
  private reached: number

  constructor(
    private readonly view: ViewLike,
    private readonly post: Post = postTask,
  ) {
    this.reached = syntaxTree(view.state).length
    this.schedule()
  }

  update(u: Pick<ViewUpdate, "docChanged" | "viewportChanged" | "changes">) {
    if (u.docChanged) this.reached = u.changes.mapPos(this.reached, -1)
    if (u.docChanged || u.viewportChanged) this.schedule()
  }

  destroy() {
    this.destroyed = true
  }

  /** where the tree should reach: a little past the bottom of the screen */
  target(): number {
    return Math.min(this.view.state.doc.length, this.view.viewport.to + CATCH_UP_AHEAD)
  }

  private schedule() {
    if (this.pending || this.destroyed) return
    const { state } = this.view
    if (!state.facet(language) || syntaxTreeAvailable(state, this.target())) return
    this.pending = true
    this.post(this.step)
  }

  private step = () => {
    this.pending = false
    if (this.destroyed) return
    this.slices++
    const target = this.target()
    const upto = Math.min(target, this.reached + CATCH_UP_STEP)
    const tree = ensureSyntaxTree(this.view.state, upto, CATCH_UP_SLICE_MS)
    if (tree) this.reached = Math.max(this.reached, tree.length, upto)
    if (!tree || upto < target) return this.schedule()
    // there: one transaction puts the new tree in the editor's state
    if (tree !== syntaxTree(this.view.state)) this.view.dispatch({})
  }
}

export const parseCatchUp = ViewPlugin.define(view => new ParseCatchUp(view))
