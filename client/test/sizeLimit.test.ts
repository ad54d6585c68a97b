import { describe, expect, it } from "vitest"
import { EditorState } from "@codemirror/state"
import { docSizeLimit, withinLimit, type SizeRefusal } from "../src/editor/sizeLimit"

function editor(text: string, limit: number | null) {
  const refused: SizeRefusal[] = []
  const state = EditorState.create({ doc: text, extensions: [docSizeLimit(() => limit, r => refused.push(r))] })
  return { state, refused }
}

const tick = () => new Promise<void>(r => queueMicrotask(r))

describe("document size limit (MAX_DOC_BYTES)", () => {
  it("refuses a paste that would take the document over the limit, and says so", async () => {
    const { state, refused } = editor("a".repeat(60_000), 64 << 10)
    const next = state.update({ changes: { from: 0, insert: "b".repeat(10_000) } }).state
    expect(next.doc.length).toBe(60_000) // the paste never happened
    await tick()
    expect(refused).toEqual([{ wouldBe: 70_000, limit: 64 << 10 }])
  })

  it("lets typing and pastes under the limit through", async () => {
    const { state, refused } = editor("a".repeat(1000), 64 << 10)
    const typed = state.update({ changes: { from: 1000, insert: "x" } }).state
    const pasted = typed.update({ changes: { from: 0, insert: "p".repeat(30_000) } }).state
    expect(pasted.doc.length).toBe(31_001)
    await tick()
    expect(refused).toEqual([])
  })

  it("lets typing reach the limit but not pass it", () => {
    const limit = 64 << 10
    const { state } = editor("a".repeat(limit - 1), limit)
    const full = state.update({ changes: { from: 0, insert: "x" } }).state
    expect(full.doc.length).toBe(limit)
    const over = full.update({ changes: { from: 0, insert: "y" } }).state
    expect(over.doc.length).toBe(limit)
  })

  it("always allows deleting, and counts a paste's UTF-8 bytes", () => {
    const limit = 64 << 10
    const { state } = editor("a".repeat(limit + 10), limit) // over already (e.g. a lower limit now)
    const cut = state.update({ changes: { from: 0, to: 100 } }).state
    expect(cut.doc.length).toBe(limit - 90)
    // 20,000 "é" are 20,000 UTF-16 units but 40,000 UTF-8 bytes: too much for what is left.
    const small = EditorState.create({ doc: "a".repeat(30_000) })
    const tr = small.update({ changes: { from: 0, insert: "é".repeat(20_000) } })
    expect(withinLimit(tr, limit)).toBe(false)
    expect(withinLimit(small.update({ changes: { from: 0, insert: "e".repeat(20_000) } }), limit)).toBe(true)
  })

  it("allows everything while the limit is unknown", () => {
    const { state } = editor("", null)
    expect(state.update({ changes: { from: 0, insert: "z".repeat(100_000) } }).state.doc.length).toBe(100_000)
  })
})
