import { describe, expect, it } from "vitest"
import * as A from "@automerge/automerge"
import { caretNow, type EditorHandover } from "../src/editor/preview"

type Doc = { content: string }

describe("caretNow: the preview's caret in the document as the live editor opens", () => {
  const base = A.from<Doc>({ content: "hello world" })
  const at = A.getHeads(base)
  const handover: EditorHandover = { anchor: 6, head: 9, heads: at, length: 11, scrollTop: 0, focused: true }

  it("moves with what others inserted before it after the commit", () => {
    const now = A.change(A.clone(base), d => A.splice(d, ["content"], 0, 0, "ALICE"))
    expect(caretNow(handover, now, ["content"])).toEqual({ anchor: 11, head: 14 })
  })

  it("does not move for what was inserted after it", () => {
    const now = A.change(A.clone(base), d => A.splice(d, ["content"], 11, 0, "!"))
    expect(caretNow(handover, now, ["content"])).toEqual({ anchor: 6, head: 9 })
  })

  it("stays where it is in the same version, or when no version was recorded", () => {
    expect(caretNow(handover, base, ["content"])).toEqual({ anchor: 6, head: 9 })
    const later = A.change(A.clone(base), d => A.splice(d, ["content"], 0, 0, "X"))
    expect(caretNow({ ...handover, heads: undefined }, later, ["content"])).toEqual({ anchor: 6, head: 9 })
  })
})
