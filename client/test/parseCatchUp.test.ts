import { describe, expect, it } from "vitest"
import { ChangeSet, EditorState, type StateField, type TransactionSpec } from "@codemirror/state"
import { Language, ensureSyntaxTree, syntaxTree, syntaxTreeAvailable } from "@codemirror/language"
import { javascript } from "@codemirror/lang-javascript"
import { CATCH_UP_AHEAD, CATCH_UP_STEP, ParseCatchUp } from "../src/editor/parseCatchUp"

/** the finished tree's length in CodeMirror's parse state (internal to @codemirror/language) */
const treeLen = (state: EditorState): number =>
  state.field((Language as unknown as { state: StateField<{ context: { treeLen: number } }> }).state).context.treeLen

function longCode(chars: number): string {
  let text = ""
  for (let i = 0; text.length < chars; i++) text += `export function step${i}(input: number[]): number { return input.reduce((a, b) => a + b * ${i % 97}, 0) } // ${i}\n`
  return text.slice(0, chars)
}

/** Just enough of an EditorView for the plugin: a state, a viewport, dispatch. */
function fakeView(doc: string, viewport: { from: number; to: number }, withLanguage = true) {
  const view = {
    state: EditorState.create({ doc, extensions: withLanguage ? [javascript({ typescript: true })] : [] }),
    viewport,
    dispatches: 0,
    dispatch(spec: TransactionSpec) {
      view.dispatches++
      view.state = view.state.update(spec).state
    },
  }
  return view
}

function manualPost() {
  const queue: (() => void)[] = []
  return { queue, post: (fn: () => void) => void queue.push(fn) }
}

describe("parse catch-up", () => {
  const doc = longCode(200_000)

  it("parses up to just past the viewport in many short slices, then stops", () => {
    const view = fakeView(doc, { from: 150_000, to: 152_000 })
    const { queue, post } = manualPost()
    const plugin = new ParseCatchUp(view as never, post)
    expect(queue).toHaveLength(1) // nothing runs inside the constructor
    expect(syntaxTreeAvailable(view.state, 152_000)).toBe(false)
    while (queue.length) {
      expect(queue).toHaveLength(1) // one slice queued at a time
      queue.shift()!()
    }
    expect(plugin.slices).toBeGreaterThan(1)
    expect(syntaxTreeAvailable(view.state, 152_000 + CATCH_UP_AHEAD)).toBe(true)
    // the editor's state shows the new tree: one transaction, at the end
    expect(syntaxTree(view.state).length).toBeGreaterThanOrEqual(152_000 + CATCH_UP_AHEAD)
    expect(view.dispatches).toBe(1)

    // nothing to do while the tree covers the screen
    const noChange = ChangeSet.empty(view.state.doc.length)
    plugin.update({ docChanged: false, viewportChanged: true, changes: noChange })
    expect(queue).toHaveLength(0)
    // scrolling further starts again
    view.viewport = { from: 190_000, to: 195_000 }
    plugin.update({ docChanged: false, viewportChanged: true, changes: noChange })
    expect(queue).toHaveLength(1)
    plugin.destroy()
    queue.shift()!()
    expect(queue).toHaveLength(0) // a destroyed plugin stops
  })

  it("moves at most CATCH_UP_STEP past the finished tree per slice, across changes", () => {
    const view = fakeView(doc, { from: 150_000, to: 152_000 })
    const { queue, post } = manualPost()
    const plugin = new ParseCatchUp(view as never, post)
    const typed = "let typed = 1\n"
    let last = treeLen(view.state)
    let slices = 0
    while (queue.length) {
      queue.shift()!()
      const now = treeLen(view.state)
      expect(now).toBeLessThanOrEqual(last + CATCH_UP_STEP + 100) // (a parse stops at the end of a token)
      last = now
      if (++slices === 5) {
        // someone types above the screen: the catch-up carries on from where it was
        const changes = ChangeSet.of({ from: 100, insert: typed }, view.state.doc.length)
        view.dispatch({ changes })
        view.viewport = { from: 150_000 + typed.length, to: 152_000 + typed.length }
        plugin.update({ docChanged: true, viewportChanged: true, changes })
        last = Math.max(treeLen(view.state), last + typed.length)
      }
    }
    expect(slices).toBeGreaterThanOrEqual(Math.ceil((152_000 + CATCH_UP_AHEAD) / CATCH_UP_STEP))
    expect(syntaxTreeAvailable(view.state, view.viewport.to + CATCH_UP_AHEAD)).toBe(true)
    // the tree the catch-up built is the one a parse from scratch gives
    const fresh = EditorState.create({ doc: view.state.doc, extensions: [javascript({ typescript: true })] })
    const nodes = (tree: ReturnType<typeof syntaxTree>) => {
      const out: string[] = []
      tree.iterate({ to: view.viewport.to, enter: n => void out.push(`${n.name}@${n.from}-${n.to}`) })
      return out
    }
    expect(nodes(syntaxTree(view.state))).toEqual(nodes(ensureSyntaxTree(fresh, view.viewport.to + CATCH_UP_AHEAD, 60_000)!))
  })

  it("does nothing without a parser or when the tree is already there", () => {
    const { queue, post } = manualPost()
    new ParseCatchUp(fakeView(doc, { from: 150_000, to: 152_000 }, false) as never, post)
    expect(queue).toHaveLength(0)
    new ParseCatchUp(fakeView("const a = 1\n", { from: 0, to: 12 }) as never, post)
    const small = queue.shift()
    small?.()
    expect(queue).toHaveLength(0)
  })
})
