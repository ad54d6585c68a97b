import { describe, expect, it } from "vitest"
import { EditorState } from "@codemirror/state"
import { EditorView } from "@codemirror/view"
import { blame, setBlame, toUtf16 } from "../src/editor/blame"
import type { BlameSpan } from "../src/lib/api"

const span = (from: number, to: number, actor: string, kind: BlameSpan["kind"] = "typed"): BlameSpan => ({
  from,
  to,
  actor,
  person: null,
  time: 1,
  kind,
})

/** The decorated ranges of a state, as [from, to, actor, kind]. */
function marks(state: EditorState): [number, number, string, string][] {
  const out: [number, number, string, string][] = []
  for (const source of state.facet(EditorView.decorations)) {
    const set = typeof source === "function" ? null : source
    set?.between(0, state.doc.length, (from, to, v) => {
      const a = v.spec.attributes as Record<string, string>
      out.push([from, to, a["data-actor"], a["data-kind"]])
    })
  }
  return out
}

describe("blame", () => {
  it("converts code point positions to UTF-16 only when the text needs it", () => {
    const spans = [span(0, 2, "a"), span(2, 4, "b")]
    expect(toUtf16(spans, "abcd")).toBe(spans)
    // "𝄞" is one code point and two UTF-16 units.
    expect(toUtf16(spans, "𝄞xyz").map(s => [s.from, s.to])).toEqual([
      [0, 3],
      [3, 5],
    ])
  })

  it("tints each span, moves the tints with later edits, and clears", () => {
    let state = EditorState.create({ doc: "alpha bravo", extensions: blame() })
    state = state.update({ effects: setBlame.of([span(0, 6, "alice"), span(6, 11, "bob", "ai")]) }).state
    expect(marks(state)).toEqual([
      [0, 6, "alice", "typed"],
      [6, 11, "bob", "ai"],
    ])
    state = state.update({ changes: { from: 0, insert: ">> " } }).state
    expect(marks(state)).toEqual([
      [3, 9, "alice", "typed"],
      [9, 14, "bob", "ai"],
    ])
    state = state.update({ effects: setBlame.of(null) }).state
    expect(marks(state)).toEqual([])
  })
})
