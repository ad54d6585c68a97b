import { afterEach, describe, expect, it, vi } from "vitest"
import { EditorState } from "@codemirror/state"
import { CompletionContext, type CompletionResult } from "@codemirror/autocomplete"
import { javascript } from "@codemirror/lang-javascript"
import { languageCompletionSource, mergeResults } from "../src/editor/languageCompletions"
import { baseExtensions } from "../src/editor/setup"

describe("completion sources", () => {
  afterEach(() => vi.restoreAllMocks())

  it("a transaction does not look up language data at the caret", () => {
    let state = EditorState.create({ doc: "const fooBar = 1\n", extensions: baseExtensions("typescript", false) })
    const spy = vi.spyOn(EditorState.prototype, "languageDataAt")
    for (let i = 0; i < 5; i++) {
      state = state.update({ changes: { from: state.doc.length, insert: "x" }, selection: { anchor: state.doc.length + 1 } }).state
    }
    expect(state.doc.toString()).toBe("const fooBar = 1\nxxxxx")
    expect(spy.mock.calls.filter(c => c[0] === "autocomplete")).toHaveLength(0)
  })

  it("asks the language's sources when completion is asked for, and merges them", async () => {
    const doc = "const fooBar = 1\nfoo"
    const state = EditorState.create({ doc, extensions: [javascript({ typescript: true }), baseExtensions("typescript", false)] })
    const res = (await languageCompletionSource(new CompletionContext(state, doc.length, true))) as CompletionResult
    expect(res).not.toBeNull()
    expect(res.from).toBe(doc.length - 3)
    const labels = res.options.map(o => o.label)
    expect(labels).toContain("fooBar") // scope names
    expect(labels.some(l => /^for\b/.test(l))).toBe(true) // the language's snippets
  })

  it("mergeResults keeps results that start where the first does", () => {
    const a: CompletionResult = { from: 3, options: [{ label: "a" }] }
    const b: CompletionResult = { from: 3, to: 5, options: [{ label: "b" }], filter: false }
    const c: CompletionResult = { from: 1, options: [{ label: "c" }] }
    const m = mergeResults([null, a, { from: 0, options: [] }, b, c])!
    expect(m.from).toBe(3)
    expect(m.to).toBe(5)
    expect(m.options.map(o => o.label)).toEqual(["a", "b"])
    expect(m.filter).toBeUndefined()
    expect(mergeResults([b])).toBe(b)
    expect(mergeResults([null, null])).toBeNull()
    expect(mergeResults([b, { ...b, options: [{ label: "d" }] }])!.filter).toBe(false)
  })
})
