import { describe, expect, it } from "vitest"
import * as A from "@automerge/automerge"
import { insertedRanges, loadSeen, saveSeen, type TextPatch } from "../src/lib/sinceLeft"
import { memoryStore } from "../src/lib/storage"

describe("since you left", () => {
  it("keeps the last seen heads per room and ignores garbage", () => {
    const kv = memoryStore()
    expect(loadSeen(kv, "r")).toBeNull()
    const h = "a".repeat(64)
    saveSeen(kv, "r", [h, "b".repeat(64)])
    expect(loadSeen(kv, "r")).toEqual([h, "b".repeat(64)])
    kv.setItem("pairpad:seen:r", "nonsense")
    expect(loadSeen(kv, "r")).toBeNull()
  })

  it("finds the text inserted since, whatever was deleted in between", () => {
    let doc = A.from({ content: "hello world" })
    const seen = A.getHeads(doc)
    doc = A.change(doc, d => A.splice(d, ["content"], 5, 0, ", dear"))
    doc = A.change(doc, d => A.splice(d, ["content"], 0, 0, ">> "))
    doc = A.change(doc, d => A.splice(d, ["content"], 10, 3, "")) // eats part of ", dear"
    doc = A.change(doc, d => A.splice(d, ["content"], doc.content.length - 2, 2, "LD!"))
    const ranges = insertedRanges(A.diff(doc, seen, A.getHeads(doc)) as TextPatch[])
    expect(doc.content).toBe(">> hello, r worLD!")
    // What is left of each insertion, merged where adjacent; the old text is not covered.
    expect(ranges.map(r => doc.content.slice(r.from, r.to))).toEqual([">> ", ", r", "LD!"])
    let kept = ""
    for (let i = 0; i < doc.content.length; i++) if (!ranges.some(r => i >= r.from && i < r.to)) kept += doc.content[i]
    expect(kept).toBe("hello wor")
  })
})
