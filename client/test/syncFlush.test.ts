import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { afterEach, describe, expect, it, vi } from "vitest"
import { NetworkAdapter, Repo, type Message, type PeerId, type PeerMetadata } from "@automerge/automerge-repo"
import { patchDocSynchronizer, SYNC_FLUSH_MS } from "../scripts/syncFlushPatch"

/** Two adapters wired back to back: what one sends, the other receives (on a microtask). */
class PipeAdapter extends NetworkAdapter {
  other!: PipeAdapter
  sent: Message[] = []
  private ready = false
  isReady() {
    return this.ready
  }
  whenReady() {
    return Promise.resolve()
  }
  connect(peerId: PeerId, meta?: PeerMetadata) {
    this.peerId = peerId
    this.peerMetadata = meta
    this.ready = true
    queueMicrotask(() => {
      if (this.other.peerId) {
        this.emit("peer-candidate", { peerId: this.other.peerId, peerMetadata: {} })
        this.other.emit("peer-candidate", { peerId: this.peerId!, peerMetadata: {} })
      }
    })
  }
  send(message: Message) {
    this.sent.push(message)
    queueMicrotask(() => this.other.emit("message", message))
  }
  disconnect() {}
}

function pipe(): [PipeAdapter, PipeAdapter] {
  const a = new PipeAdapter()
  const b = new PipeAdapter()
  a.other = b
  b.other = a
  return [a, b]
}

interface Doc {
  content: string
}

afterEach(() => {
  vi.useRealTimers()
})

describe("sync flush patch", () => {
  // The package's exports don't list the file, so no resolve(): the path the build patches.
  const file = fileURLToPath(new URL("../node_modules/@automerge/automerge-repo/dist/synchronizer/DocSynchronizer.js", import.meta.url))

  it("applies to the installed automerge-repo", () => {
    const patched = patchDocSynchronizer(readFileSync(file, "utf8"))
    expect(patched).toContain(`syncDebounceRate = ${SYNC_FLUSH_MS};`)
    expect(patched).not.toContain("syncDebounceRate = 100;")
  })

  it("throws (failing the build) when automerge-repo no longer has the line", () => {
    const changed = readFileSync(file, "utf8").replace("syncDebounceRate = 100;", "syncDebounceRate = 50;")
    expect(() => patchDocSynchronizer(changed)).toThrow(/automerge-repo changed/)
    expect(() => patchDocSynchronizer("")).toThrow(/found 0/)
  })

  it("flushes a local change to the peer within 25 ms, even right after a flush", async () => {
    expect(SYNC_FLUSH_MS).toBeLessThanOrEqual(25)
    const [na, nb] = pipe()
    const a = new Repo({ network: [na], peerId: "a" as PeerId, sharePolicy: async () => true })
    const b = new Repo({ network: [nb], peerId: "b" as PeerId, sharePolicy: async () => true })
    const ha = a.create<Doc>({ content: "" })
    const hb = await b.find<Doc>(ha.url)
    await vi.waitFor(() => expect(hb.doc().content).toBe(""))

    // From here the clock only moves when the test says so.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] })
    await vi.advanceTimersByTimeAsync(1000) // let every pending flush run
    for (const text of ["x", "xy", "xyz"]) {
      const before = na.sent.filter(m => m.type === "sync").length
      ha.change(d => {
        d.content = text
      })
      await vi.advanceTimersByTimeAsync(25)
      expect(na.sent.filter(m => m.type === "sync").length, `sync for ${JSON.stringify(text)} sent within 25 ms`).toBeGreaterThan(before)
      expect(hb.doc().content).toBe(text)
    }
    vi.useRealTimers()
    await a.shutdown()
    await b.shutdown()
  })
})
