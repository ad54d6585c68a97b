import { afterEach, beforeEach, describe, expect, it, vi } from "vitest"
import { EditorState, EditorSelection } from "@codemirror/state"
import { SuggestionController, ghostFromSuggestion, type EditorSnapshot, type SuggestionSink } from "../src/editor/suggestions"
import { ghostField, setGhost, type Ghost } from "../src/editor/ghostText"
import type { AutocompleteRequest, AutocompleteResponse, Suggestion } from "../src/lib/api"

describe("ghostFromSuggestion", () => {
  const s = (text: string, replace?: { from: number; to: number }): Suggestion => ({ text, label: text, kind: "k", replace })
  it("uses plain text as is", () => {
    expect(ghostFromSuggestion("x", 1, s("    return n"))).toBe("    return n")
  })
  it("drops the part of a replacement already typed", () => {
    const code = "print(fib"
    expect(ghostFromSuggestion(code, 9, s("fibonacci", { from: 6, to: 9 }))).toBe("onacci")
  })
  it("refuses replacements that don't end at the caret or don't match what's typed", () => {
    expect(ghostFromSuggestion("print(fib", 9, s("fibonacci", { from: 6, to: 8 }))).toBeNull()
    expect(ghostFromSuggestion("print(fox", 9, s("fibonacci", { from: 6, to: 9 }))).toBeNull()
    expect(ghostFromSuggestion("fib", 3, s("fib", { from: 0, to: 3 }))).toBeNull()
    expect(ghostFromSuggestion("x", 1, s(""))).toBeNull()
  })
})

describe("SuggestionController", () => {
  let snap: EditorSnapshot
  let events: string[]
  let shown: Ghost[]
  let calls: { req: AutocompleteRequest; signal: AbortSignal; resolve: (r: AutocompleteResponse) => void; reject: (e: unknown) => void }[]
  let enabled: boolean

  beforeEach(() => {
    vi.useFakeTimers()
    snap = { code: "def fibonacci(n):\n    ", cursor: 22, hasSelection: false }
    events = []
    shown = []
    calls = []
    enabled = true
  })
  afterEach(() => vi.useRealTimers())

  function make() {
    const sink: SuggestionSink = {
      requested: id => events.push(`requested:${id}`),
      received: id => events.push(`received:${id}`),
      failed: (id, m) => events.push(`failed:${id}:${m}`),
      cleared: () => events.push("cleared"),
      show: g => shown.push(g),
    }
    return new SuggestionController({
      fetch: (req, signal) =>
        new Promise((resolve, reject) => {
          calls.push({ req, signal, resolve, reject })
          signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")))
        }),
      sink,
      snapshot: () => snap,
      settings: () => ({ enabled, delayMs: 500, language: "python", roomId: "r1" }),
    })
  }
  const answer = (text: string): AutocompleteResponse => ({ suggestions: [{ text, label: text, kind: "snippet" }], engine: "mock", took_ms: 0.1 })

  it("asks only after the typing pause, with code, UTF-16 cursor, language and room", async () => {
    const c = make()
    c.typed(false)
    vi.advanceTimersByTime(300)
    c.typed(false)
    vi.advanceTimersByTime(499)
    expect(calls).toHaveLength(0)
    vi.advanceTimersByTime(1)
    expect(calls).toHaveLength(1)
    expect(calls[0].req).toEqual({ code: snap.code, cursor: 22, language: "python", room_id: "r1", max: 5 })
    calls[0].resolve(answer("if n < 2:\n        return n"))
    await vi.runAllTimersAsync()
    expect(shown).toEqual([{ pos: 22, text: "if n < 2:\n        return n", requestId: 1 }])
  })

  it("a keystroke aborts the request in flight and its late answer is never shown", async () => {
    const c = make()
    c.typed(false)
    vi.advanceTimersByTime(500)
    expect(calls).toHaveLength(1)
    snap = { ...snap, code: snap.code + "x", cursor: 23 }
    c.typed(false)
    expect(calls[0].signal.aborted).toBe(true)
    calls[0].resolve(answer("stale"))
    await vi.advanceTimersByTimeAsync(0)
    expect(shown).toEqual([])
    vi.advanceTimersByTime(500)
    calls[1].resolve(answer("fresh"))
    await vi.advanceTimersByTimeAsync(0)
    expect(shown.map(g => g.text)).toEqual(["fresh"])
  })

  it("drops an answer when the caret moved meanwhile, even if fetch ignores the abort", async () => {
    const c = new SuggestionController({
      fetch: req => new Promise(resolve => calls.push({ req, signal: new AbortController().signal, resolve, reject: () => {} })),
      sink: { requested() {}, received() {}, failed() {}, cleared() {}, show: g => shown.push(g) },
      snapshot: () => snap,
      settings: () => ({ enabled: true, delayMs: 500, language: "python" }),
    })
    c.typed(false)
    vi.advanceTimersByTime(500)
    c.interrupted()
    calls[0].resolve(answer("late"))
    await vi.advanceTimersByTimeAsync(0)
    expect(shown).toEqual([])
  })

  it("keeps the ghost (no new request) while typed text matches it", () => {
    const c = make()
    c.typed(true)
    vi.advanceTimersByTime(2000)
    expect(calls).toHaveLength(0)
    expect(events).toEqual([])
  })

  it("does nothing when switched off or with a selection", () => {
    enabled = false
    const c = make()
    c.typed(false)
    vi.advanceTimersByTime(1000)
    expect(calls).toHaveLength(0)
    enabled = true
    snap = { ...snap, hasSelection: true }
    c.typed(false)
    vi.advanceTimersByTime(1000)
    expect(calls).toHaveLength(0)
  })

  it("reports failures but not aborts", async () => {
    const c = make()
    c.typed(false)
    vi.advanceTimersByTime(500)
    calls[0].reject(new Error("rate limited"))
    await vi.advanceTimersByTimeAsync(0)
    expect(events).toContain("failed:1:rate limited")
    c.typed(false)
    vi.advanceTimersByTime(500)
    c.typed(false)
    await vi.advanceTimersByTimeAsync(0)
    expect(events.filter(e => e.startsWith("failed"))).toHaveLength(1)
  })
})

describe("ghost text state", () => {
  function withGhost(doc: string, pos: number, text: string) {
    let state = EditorState.create({ doc, selection: EditorSelection.cursor(pos), extensions: [ghostField] })
    state = state.update({ effects: setGhost.of({ pos, text, requestId: 1 }) }).state
    return state
  }

  it("typing the ghost's first characters keeps the rest", () => {
    let s = withGhost("x = ", 4, "fibonacci(10)")
    s = s.update({ changes: { from: 4, insert: "fib" }, selection: EditorSelection.cursor(7), userEvent: "input.type" }).state
    expect(s.field(ghostField)).toEqual({ pos: 7, text: "onacci(10)", requestId: 1 })
  })

  it("typing something else, or all of it, removes it", () => {
    let s = withGhost("x = ", 4, "fib")
    expect(s.update({ changes: { from: 4, insert: "z" }, selection: EditorSelection.cursor(5) }).state.field(ghostField)).toBeNull()
    s = withGhost("x = ", 4, "fib")
    expect(s.update({ changes: { from: 4, insert: "fib" }, selection: EditorSelection.cursor(7) }).state.field(ghostField)).toBeNull()
  })

  it("moving the caret removes it", () => {
    const s = withGhost("x = ", 4, "fib")
    expect(s.update({ selection: EditorSelection.cursor(1) }).state.field(ghostField)).toBeNull()
  })
})

describe("completion list source", () => {
  it("offers every suggestion at the position they were made for, and nothing elsewhere", async () => {
    const { CompletionContext } = await import("@codemirror/autocomplete")
    const { setSuggestionList, suggestionListField, aiCompletionSource } = await import("../src/editor/suggestions")
    let state = EditorState.create({ doc: "print(fib", selection: EditorSelection.cursor(9), extensions: [suggestionListField] })
    state = state.update({
      effects: setSuggestionList.of({
        at: 9,
        items: [
          { text: "fibonacci", label: "fibonacci", kind: "identifier", replace: { from: 6, to: 9 } },
          { text: "fib_cache", label: "fib_cache", kind: "identifier", replace: { from: 6, to: 9 } },
        ],
      }),
    }).state
    const res = aiCompletionSource(new CompletionContext(state, 9, true)) as import("@codemirror/autocomplete").CompletionResult
    expect(res.from).toBe(6)
    expect(res.options.map(o => [o.label, o.apply])).toEqual([
      ["fibonacci", "fibonacci"],
      ["fib_cache", "fib_cache"],
    ])
    expect(aiCompletionSource(new CompletionContext(state, 3, true))).toBeNull()
    // a local edit forgets the list
    const after = state.update({ changes: { from: 9, insert: "o" } }).state
    expect(after.field(suggestionListField)).toBeNull()
  })
})
