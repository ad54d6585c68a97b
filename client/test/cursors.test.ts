import { describe, expect, it } from "vitest"
import * as A from "@automerge/automerge"
import { encodeSelection, resolveSelection } from "../src/features/presence/cursors"
import { computeRemoteCursors, sameCursors } from "../src/features/presence/remoteCursorModel"
import { parsePresenceMessage, stateMessage, byeMessage } from "../src/features/presence/protocol"
import type { PeerPresence } from "../src/features/presence/presenceSlice"

type Doc = { content: string; language: string }

function base(text: string) {
  return A.from<Doc>({ content: text, language: "python" })
}

function peer(peerId: string, selection: PeerPresence["selection"]): PeerPresence {
  return { peerId, name: peerId.toUpperCase(), color: "#0090ff", selection, lastSeenAt: 0, joinedAt: 0, seq: 1 }
}

describe("Automerge cursor mapping", () => {
  it("keeps a caret on its character when text is inserted before it", () => {
    const bob = base("hello world")
    const sel = encodeSelection(bob, { anchor: 6, head: 6 })! // before "w"
    let alice = A.clone(bob)
    alice = A.change(alice, d => A.splice(d, ["content"], 0, 0, "well, "))
    const r = resolveSelection(alice, sel)!
    expect(alice.content.slice(r.head)).toMatch(/^world/)
    expect(r.head).toBe(12)
  })

  it("maps selections, UTF-16 aware", () => {
    let d = base("a😀bc")
    const sel = encodeSelection(d, { anchor: 1, head: 4 })! // "😀b"
    d = A.change(d, x => A.splice(x, ["content"], 0, 0, "😀"))
    expect(resolveSelection(d, sel)).toEqual({ anchor: 3, head: 6 })
    expect(d.content.slice(3, 6)).toBe("😀b")
  })

  it("text inserted exactly at a caret goes after it (the caret sticks to its left character)", () => {
    let d = base("ab")
    const mid = encodeSelection(d, { anchor: 1, head: 1 })!
    const end = encodeSelection(d, { anchor: 2, head: 2 })!
    const start = encodeSelection(d, { anchor: 0, head: 0 })!
    d = A.change(d, x => A.splice(x, ["content"], 2, 0, "END"))
    d = A.change(d, x => A.splice(x, ["content"], 1, 0, "MID"))
    d = A.change(d, x => A.splice(x, ["content"], 0, 0, "START"))
    expect(d.content).toBe("STARTaMIDbEND")
    expect(resolveSelection(d, start)!.head).toBe(0)
    expect(resolveSelection(d, mid)!.head).toBe(6) // after "a"
    expect(resolveSelection(d, end)!.head).toBe(10) // after "b"
  })

  it("goes to 0 when everything before the caret is deleted", () => {
    let d = base("abcdef")
    const sel = encodeSelection(d, { anchor: 3, head: 3 })!
    d = A.change(d, x => A.splice(x, ["content"], 0, 3))
    expect(resolveSelection(d, sel)).toEqual({ anchor: 0, head: 0 })
  })

  it("moves to the next character when its character is deleted", () => {
    let d = base("abcdef")
    const sel = encodeSelection(d, { anchor: 3, head: 3 })! // before "d"
    d = A.change(d, x => A.splice(x, ["content"], 2, 2)) // delete "cd"
    const r = resolveSelection(d, sel)!
    expect(d.content.slice(r.head)).toBe("ef")
  })

  it("returns null for a cursor naming a character we don't have yet", () => {
    const shared = base("xyz")
    let remote = A.clone(shared)
    remote = A.change(remote, d => A.splice(d, ["content"], 3, 0, "new"))
    const sel = encodeSelection(remote, { anchor: 4, head: 4 })!
    expect(resolveSelection(shared, sel)).toBeNull()
    // once the change arrives it resolves
    const merged = A.merge(A.clone(shared), remote)
    expect(resolveSelection(merged, sel)).toEqual({ anchor: 4, head: 4 })
  })

  it("returns null when there is no text", () => {
    const d = A.from<{ other: string }>({ other: "x" })
    expect(encodeSelection(d, { anchor: 0, head: 0 })).toBeNull()
  })
})

describe("computeRemoteCursors", () => {
  it("resolves peers, skips those without selection, keeps the old position while unresolvable", () => {
    const shared = base("0123456789")
    let remote = A.clone(shared)
    remote = A.change(remote, d => A.splice(d, ["content"], 10, 0, "abc"))
    const ok = encodeSelection(shared, { anchor: 2, head: 5 })!
    const ahead = encodeSelection(remote, { anchor: 12, head: 12 })!
    const peers = [peer("a", ok), peer("b", ahead), peer("c", null)]
    const previous = [{ peerId: "b", name: "B", color: "#0090ff", anchor: 10, head: 10 }]
    const out = computeRemoteCursors(shared, peers, previous)
    expect(out).toEqual([
      { peerId: "a", name: "A", color: "#0090ff", anchor: 2, head: 5 },
      { peerId: "b", name: "B", color: "#0090ff", anchor: 10, head: 10 },
    ])
    // a peer never resolved is not drawn
    expect(computeRemoteCursors(shared, [peer("b", ahead)], [])).toEqual([])
    expect(sameCursors(out, computeRemoteCursors(shared, peers, previous))).toBe(true)
    expect(sameCursors(out, out.slice(1))).toBe(false)
  })
})

describe("presence protocol", () => {
  it("round-trips state and bye messages and rejects anything else", () => {
    const m = stateMessage(3, { name: "Ann", color: "#e5484d" }, { anchor: "1@a", head: "2@a" })
    expect(parsePresenceMessage(JSON.parse(JSON.stringify(m)))).toEqual(m)
    expect(parsePresenceMessage(byeMessage(4))).toEqual(byeMessage(4))
    expect(parsePresenceMessage({ __presence: { type: "heartbeat" } })).toBeNull()
    expect(parsePresenceMessage({ ...m, v: 2 })).toBeNull()
    expect(parsePresenceMessage({ ...m, seq: "1" })).toBeNull()
    expect(parsePresenceMessage({ ...m, name: 5 })).toBeNull()
    expect(parsePresenceMessage(null)).toBeNull()
    expect(parsePresenceMessage({ ...m, sel: { anchor: 1 } })?.kind).toBe("state")
    expect(parsePresenceMessage({ ...m, sel: { anchor: 1 } }) as { sel: unknown }).toMatchObject({ sel: null })
  })
})
