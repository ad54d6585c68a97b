import { describe, expect, it } from "vitest"
import { EditorState, type TransactionSpec } from "@codemirror/state"
import { syntaxTree, syntaxTreeAvailable } from "@codemirror/language"
import { javascript } from "@codemirror/lang-javascript"
import { CATCH_UP_AHEAD, ParseCatchUp } from "../src/editor/parseCatchUp"

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
    plugin.update({ docChanged: false, viewportChanged: true })
    expect(queue).toHaveLength(0)
    // scrolling further starts again
    view.viewport = { from: 190_000, to: 195_000 }
    plugin.update({ docChanged: false, viewportChanged: true })
    expect(queue).toHaveLength(1)
    plugin.destroy()
    queue.shift()!()
    expect(queue).toHaveLength(0) // a destroyed plugin stops
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
