import { describe, expect, it } from "vitest"
import * as A from "@automerge/automerge"
import { EditorState, Transaction, type TransactionSpec } from "@codemirror/state"
import { applyTransactionsToDoc, patchesToChangeSet } from "../src/editor/automergeBinding"

type Doc = { content: string; language: string }

/** One peer: an editor state and its automerge doc, kept in step like the binding does. */
class Peer {
  state: EditorState
  doc: A.Doc<Doc>
  heads: A.Heads
  constructor(doc: A.Doc<Doc>) {
    this.doc = doc
    this.state = EditorState.create({ doc: doc.content })
    this.heads = A.getHeads(doc)
  }
  /** a local edit: editor transaction → splices */
  edit(spec: TransactionSpec) {
    const tr: Transaction = this.state.update(spec)
    this.state = tr.state
    this.doc = A.change(this.doc, d => applyTransactionsToDoc(d, ["content"], [tr]))
    this.heads = A.getHeads(this.doc)
  }
  /** receive the other's changes: merge → diff → one editor transaction */
  receive(other: Peer) {
    this.doc = A.merge(this.doc, A.clone(other.doc))
    const heads = A.getHeads(this.doc)
    const patches = A.diff(this.doc, this.heads, heads)
    const cs = patchesToChangeSet(patches, ["content"], this.state.doc.length)
    if (cs) this.state = this.state.update({ changes: cs }).state
    this.heads = heads
  }
}

function seeded(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

describe("automerge ⇄ CodeMirror binding", () => {
  it("converges when two people type at different places at once", () => {
    const start = A.from<Doc>({ content: "def a():\n    pass\n\ndef b():\n    pass\n", language: "python" })
    const alice = new Peer(A.clone(start, { actor: "aa".repeat(16) }))
    const bob = new Peer(A.clone(start, { actor: "bb".repeat(16) }))
    alice.edit({ changes: { from: 0, insert: "# alice\n" } })
    bob.edit({ changes: { from: bob.state.doc.length, insert: "# bob\n" } })
    bob.edit({ changes: { from: 14, to: 18, insert: "return 1" } })
    alice.receive(bob)
    bob.receive(alice)
    expect(alice.state.doc.toString()).toBe(bob.state.doc.toString())
    expect(alice.state.doc.toString()).toBe(alice.doc.content)
    expect(bob.doc.content).toBe(alice.doc.content)
    expect(alice.doc.content).toContain("# alice\n")
    expect(alice.doc.content).toContain("# bob\n")
    expect(alice.doc.content).toContain("return 1")
  })

  it("applies multi-change transactions (multi-cursor edits) in order", () => {
    const start = A.from<Doc>({ content: "aaa bbb ccc", language: "x" })
    const p = new Peer(start)
    p.edit({ changes: [{ from: 0, to: 3, insert: "X" }, { from: 4, to: 7, insert: "YYYY" }, { from: 8, insert: "!" }] })
    expect(p.doc.content).toBe(p.state.doc.toString())
    expect(p.doc.content).toBe("X YYYY !ccc")
  })

  it("stays identical under random concurrent edits (fuzz, 200 rounds)", () => {
    const rnd = seeded(42)
    const start = A.from<Doc>({ content: "The quick brown fox\njumps over the lazy dog\n", language: "x" })
    const peers = [new Peer(A.clone(start, { actor: "01".repeat(16) })), new Peer(A.clone(start, { actor: "02".repeat(16) }))]
    const alphabet = "abcdefghij \n(){}😀é"
    for (let round = 0; round < 200; round++) {
      for (const p of peers) {
        const n = 1 + Math.floor(rnd() * 3)
        for (let k = 0; k < n; k++) {
          const len = p.state.doc.length
          const from = Math.floor(rnd() * (len + 1))
          const del = rnd() < 0.3 ? Math.min(len - from, Math.floor(rnd() * 4)) : 0
          let insert = ""
          const m = Math.floor(rnd() * 4)
          for (let i = 0; i < m; i++) insert += [...alphabet][Math.floor(rnd() * [...alphabet].length)]
          // never split a surrogate pair
          const text = p.state.doc.toString()
          const isLow = (i: number) => i > 0 && i < text.length && /[\uDC00-\uDFFF]/.test(text[i])
          let f = from
          let t = from + del
          if (isLow(f)) f--
          if (isLow(t)) t++
          p.edit({ changes: { from: f, to: Math.min(t, len), insert } })
        }
      }
      if (rnd() < 0.5) {
        peers[0].receive(peers[1])
        peers[1].receive(peers[0])
      } else {
        peers[1].receive(peers[0])
        peers[0].receive(peers[1])
      }
      for (const p of peers) expect(p.state.doc.toString()).toBe(p.doc.content)
      expect(peers[0].doc.content).toBe(peers[1].doc.content)
    }
  }, 60_000) // took 8.5 s on the shared 2-core machine under load (vitest's 5 s default); not a speed check

  it("replaces the text when the whole field is put", () => {
    let d = A.from<Doc>({ content: "old", language: "x" })
    const h = A.getHeads(d)
    d = A.change(d, x => {
      x.content = "brand new"
    })
    const cs = patchesToChangeSet(A.diff(d, h, A.getHeads(d)), ["content"], 3)
    const state = EditorState.create({ doc: "old" }).update({ changes: cs! }).state
    expect(state.doc.toString()).toBe("brand new")
  })

  it("ignores patches outside the text", () => {
    let d = A.from<Doc>({ content: "x", language: "go" })
    const h = A.getHeads(d)
    d = A.change(d, x => {
      x.language = "rust"
    })
    expect(patchesToChangeSet(A.diff(d, h, A.getHeads(d)), ["content"], 1)).toBeNull()
  })
})
