/**
 * The browser bundle runs Automerge JS 2.2 through the aliases in vite.config.ts (see
 * there why). The unit tests go through the same aliases, so this checks the wiring the
 * browser gets: our imports and automerge-repo's both land on 2.2 with text semantics.
 */
import { describe, expect, it } from "vitest"
import * as A from "@automerge/automerge"
import * as Slim from "@automerge/automerge/slim"
import { Repo, type DocHandle } from "@automerge/automerge-repo"

describe("Automerge in the bundle", () => {
  it("is the 2.2 line (RawString, no ImmutableString) for our imports", () => {
    expect(typeof (A as Record<string, unknown>).RawString).toBe("function")
    expect((A as Record<string, unknown>).ImmutableString).toBeUndefined()
  })

  it("gives automerge-repo the next API and the text helpers it calls at top level", () => {
    const s = Slim as unknown as Record<string, unknown>
    expect(typeof (s.next as Record<string, unknown>).receiveSyncMessage).toBe("function")
    for (const f of ["splice", "updateText", "getCursor", "getCursorPosition"]) expect(typeof s[f], f).toBe("function")
  })

  it("treats strings as collaborative text in documents made by the repo", () => {
    const repo = new Repo({ network: [] })
    const handle = repo.create<{ content: string }>({ content: "hello" }) as DocHandle<{ content: string }>
    handle.change(d => A.splice(d, ["content"], 5, 0, " world"))
    expect(handle.doc().content).toBe("hello world")
    const copy = A.load<{ content: string }>(A.save(handle.doc()))
    expect(copy.content).toBe("hello world")
    const patches = A.diff(handle.doc(), [], A.getHeads(handle.doc()))
    expect(patches.some(p => p.action === "splice")).toBe(true)
  })

  it("starts the documents automerge-repo finds with the default actor, so no clone is needed", async () => {
    const s = Slim as unknown as { setDefaultActor: (a: string | undefined) => void }
    const server = new Repo({ network: [] })
    const stored = server.create<{ content: string }>({ content: "shared" })
    const bytes = A.save(stored.doc())
    const actor = "0123456789abcdef0123456789abcdef"
    s.setDefaultActor(actor)
    try {
      // The paths automerge-repo takes: an empty handle doc (find), and storage loading
      // into an empty doc; both keep the person's actor and the history.
      const handleDoc = (Slim as unknown as { next: typeof A }).next.init<{ content: string }>()
      expect(A.getActorId(handleDoc)).toBe(actor)
      const loaded = (Slim as unknown as { next: typeof A }).next.loadIncremental(handleDoc, bytes)
      expect(A.getActorId(loaded)).toBe(actor)
      expect(loaded.content).toBe("shared")
      const repo = new Repo({ network: [] })
      const mine = repo.create<{ content: string }>({ content: "" })
      expect(A.getActorId(mine.doc())).toBe(actor)
    } finally {
      s.setDefaultActor(undefined)
    }
    expect(A.getActorId((Slim as unknown as { next: typeof A }).next.init())).not.toBe(actor)
  })
})
