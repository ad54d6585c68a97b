import { describe, expect, it } from "vitest"
import * as A from "@automerge/automerge"
import { ImmutableString, Repo } from "@automerge/automerge-repo"
import { EditorState, type TransactionSpec } from "@codemirror/state"
import { pickedCompletion } from "@codemirror/autocomplete"
import { acquireActor, actorKey, isActorId, newActorId, storedActor } from "../src/lib/actor"
import { memoryStore } from "../src/lib/storage"
import { isLargePaste, markAiCompletion, originOf, PASTE_MIN_CHARS } from "../src/editor/origin"
import { ghostAccepted } from "../src/editor/ghostText"
import { commitLocal, groupByOrigin } from "../src/editor/automergeBinding"
import { personUpToDate, writePerson, type RoomDoc } from "../src/app/roomSession"

function counterBytes(start: number) {
  let next = start
  return (n: number) => Uint8Array.from({ length: n }, () => next++ & 0xff)
}

describe("person actor id", () => {
  it("is 32 lowercase hex characters of 16 random bytes", () => {
    expect(newActorId(counterBytes(0))).toBe("000102030405060708090a0b0c0d0e0f")
    const a = newActorId()
    expect(isActorId(a)).toBe(true)
    expect(newActorId()).not.toBe(a)
    expect(isActorId("ABCDEF".padEnd(32, "0"))).toBe(false)
    expect(isActorId("ab")).toBe(false)
  })

  it("is kept per room under pairpad:actor:<roomId> and reused", () => {
    const store = memoryStore()
    const a = storedActor(store, "room1")
    expect(store.getItem("pairpad:actor:room1")).toBe(a)
    expect(actorKey("room1")).toBe("pairpad:actor:room1")
    expect(storedActor(store, "room1")).toBe(a)
    const b = storedActor(store, "room2")
    expect(b).not.toBe(a)
    store.setItem(actorKey("room3"), "not-an-actor")
    const c = storedActor(store, "room3")
    expect(isActorId(c)).toBe(true)
    expect(store.getItem(actorKey("room3"))).toBe(c)
  })

  it("a second tab holding no lock gets a fresh actor that is not stored", async () => {
    const held = new Set<string>()
    const locks = {
      request(name: string, _o: { ifAvailable: boolean }, cb: (lock: unknown) => Promise<void> | void) {
        if (held.has(name)) return Promise.resolve(cb(null))
        held.add(name)
        return Promise.resolve(cb({ name })).then(() => void held.delete(name))
      },
    }
    const store = memoryStore()
    const first = await acquireActor(store, "r", locks)
    expect(first.stored).toBe(true)
    expect(first.actor).toBe(store.getItem(actorKey("r")))
    const second = await acquireActor(store, "r", locks)
    expect(second.stored).toBe(false)
    expect(isActorId(second.actor)).toBe(true)
    expect(second.actor).not.toBe(first.actor)
    expect(store.getItem(actorKey("r"))).toBe(first.actor)
    first.release()
    await new Promise(r => setTimeout(r, 0))
    const third = await acquireActor(store, "r", locks)
    expect(third).toMatchObject({ actor: first.actor, stored: true })
    // Without Web Locks: the stored actor.
    expect((await acquireActor(store, "r", undefined)).actor).toBe(first.actor)
  })

  it("a handle's document cloned with the actor makes every later change with it (stock automerge-repo)", async () => {
    const repo = new Repo({ network: [] })
    const handle = repo.create<{ content: string }>({ content: "" })
    const actor = newActorId()
    handle.update(d => A.clone(d, { actor }))
    handle.change(d => A.splice(d, ["content"], 0, 0, "hi"))
    handle.change(d => A.splice(d, ["content"], 2, 0, "!"), { message: "paste" })
    const changes = A.getAllChanges(handle.doc()).map(c => A.decodeChange(c))
    const mine = changes.filter(c => c.actor === actor)
    expect(mine.map(c => c.seq)).toEqual([1, 2])
    expect(mine.map(c => c.message)).toEqual([null, "paste"])
    expect(handle.doc().content).toBe("hi!")
    await repo.shutdown()
  })
})

describe("change origins", () => {
  const state = EditorState.create({ doc: "let x = 1\n" })
  const tr = (spec: TransactionSpec) => state.update(spec)

  it("marks pastes of 64+ characters or with a newline, not short pastes or typing", () => {
    const long = "x".repeat(PASTE_MIN_CHARS)
    expect(isLargePaste(long)).toBe(true)
    expect(isLargePaste("x".repeat(PASTE_MIN_CHARS - 1))).toBe(false)
    expect(isLargePaste("a\nb")).toBe(true)
    expect(originOf(tr({ changes: { from: 0, insert: long }, userEvent: "input.paste" }))).toBe("paste")
    expect(originOf(tr({ changes: { from: 0, insert: "a\n" }, userEvent: "input.paste" }))).toBe("paste")
    expect(originOf(tr({ changes: { from: 0, insert: "short" }, userEvent: "input.paste" }))).toBeNull()
    expect(originOf(tr({ changes: { from: 0, insert: long }, userEvent: "input.type" }))).toBeNull()
  })

  it("marks accepted AI suggestions: ghost text and AI entries of the completion list", () => {
    const ghost = { pos: 0, text: "print()", requestId: 1 } as never
    expect(originOf(tr({ changes: { from: 0, insert: "print()" }, effects: ghostAccepted.of(ghost) }))).toBe("ai")
    const ai = markAiCompletion({ label: "print()" })
    expect(originOf(tr({ changes: { from: 0, insert: "print()" }, annotations: pickedCompletion.of(ai), userEvent: "input.complete" }))).toBe("ai")
    // A completion from another source (language keywords) is typing.
    expect(originOf(tr({ changes: { from: 0, insert: "let" }, annotations: pickedCompletion.of({ label: "let" }), userEvent: "input.complete" }))).toBeNull()
  })

  it("groups typing into one change and gives each marked edit a change of its own", () => {
    const o = (x: string) => (x.startsWith("ai") ? "ai" : x.startsWith("p") ? "paste" : null)
    expect(groupByOrigin(["t1", "t2", "ai1", "ai2", "t3", "p1", "t4", "t5"], o)).toEqual([
      { origin: null, items: ["t1", "t2"] },
      { origin: "ai", items: ["ai1"] },
      { origin: "ai", items: ["ai2"] },
      { origin: null, items: ["t3"] },
      { origin: "paste", items: ["p1"] },
      { origin: null, items: ["t4", "t5"] },
    ])
  })

  it("commits editor transactions as changes with the origin as message", () => {
    let doc = A.from<{ content: string }>({ content: "" }, { actor: "cc".repeat(16) })
    let st = EditorState.create({ doc: "" })
    const trs = [
      { changes: { from: 0, insert: "a" }, userEvent: "input.type" },
      { changes: { from: 1, insert: "b" }, userEvent: "input.type" },
      { changes: { from: 2, insert: "\nfn main() {}\n" }, userEvent: "input.paste" },
      { changes: { from: 0, insert: "x" }, userEvent: "input.type" },
    ].map(spec => {
      const t = st.update(spec as TransactionSpec)
      st = t.state
      return t
    })
    const before = A.getAllChanges(doc).length
    commitLocal<{ content: string }>((fn, opts) => (doc = A.change(doc, opts ?? {}, fn)), ["content"], trs, originOf)
    const made = A.getAllChanges(doc).slice(before).map(c => A.decodeChange(c))
    expect(made.map(c => c.message)).toEqual([null, "paste", null])
    expect(doc.content).toBe(st.doc.toString())
  })
})

describe("people entry", () => {
  it("is written as scalar strings and only when it differs", () => {
    const actor = "ab".repeat(16)
    let doc = A.change(A.init<RoomDoc>(), d => {
      d.content = ""
      d.language = new ImmutableString("go")
    })
    expect(personUpToDate(doc, actor, "Ada", "#ff0000")).toBe(false)
    doc = A.change(doc, d => writePerson(d, actor, "Ada", "#ff0000"))
    expect(personUpToDate(doc, actor, "Ada", "#ff0000")).toBe(true)
    const e = doc.people![actor]
    expect(e.name).toBeInstanceOf(ImmutableString)
    expect(String(e.name)).toBe("Ada")
    const n = A.getAllChanges(doc).length
    // A rename changes the name only.
    doc = A.change(doc, d => writePerson(d, actor, "Ada L.", "#ff0000"))
    expect(A.getAllChanges(doc).length).toBe(n + 1)
    const last = A.decodeChange(A.getLastLocalChange(doc)!)
    expect(last.ops.length).toBe(1)
    expect(personUpToDate(doc, actor, "Ada L.", "#ff0000")).toBe(true)
  })
})
