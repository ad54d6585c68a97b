import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { afterEach, describe, expect, it, vi } from "vitest"
import { NetworkAdapter, Repo, type Message, type PeerId, type PeerMetadata } from "@automerge/automerge-repo"
import { eagerThrottle, patchDocSynchronizer, SYNC_FLUSH_MS } from "../scripts/syncFlushPatch"

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

/** Lets every queued microtask (and the ones they queue) run, without moving any timer. */
async function drainMicrotasks() {
  for (let i = 0; i < 100; i++) await Promise.resolve()
}

describe("eagerThrottle", () => {
  it("runs the first call on a microtask, then at most once per delay, and never two at once", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] })
    let runs = 0
    let release: (() => void) | null = null
    const fn = () => {
      runs++
      return new Promise<void>(r => (release = r))
    }
    const call = eagerThrottle(fn, 20)
    call()
    expect(runs).toBe(0) // not synchronously: inside the caller's event
    await drainMicrotasks()
    expect(runs).toBe(1) // no timer needed
    call() // while running: one more run after this one
    call()
    await drainMicrotasks()
    expect(runs).toBe(1)
    release!()
    await drainMicrotasks()
    expect(runs).toBe(1) // the next run waits the delay after the last one ended
    await vi.advanceTimersByTimeAsync(19)
    expect(runs).toBe(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(runs).toBe(2)
    call() // while running again
    release!()
    await drainMicrotasks()
    await vi.advanceTimersByTimeAsync(20)
    expect(runs).toBe(3)
    release!()
    await drainMicrotasks()
    await vi.advanceTimersByTimeAsync(100)
    expect(runs).toBe(3) // nothing more was asked for
    call() // after a quiet spell: straight away again
    await drainMicrotasks()
    expect(runs).toBe(4)
    release!()
  })

  it("keeps going after a failed run", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] })
    const errors = vi.spyOn(console, "error").mockImplementation(() => {})
    let runs = 0
    const call = eagerThrottle(() => {
      runs++
      throw new Error("boom")
    }, 20)
    call()
    await drainMicrotasks()
    await vi.advanceTimersByTimeAsync(20)
    call()
    await drainMicrotasks()
    expect(runs).toBe(2)
    expect(errors).toHaveBeenCalledTimes(2)
    errors.mockRestore()
  })
})

/**
 * Two repos on a pipe sharing one document, then fake timers: from here the clock only
 * moves when the test says so (every flush pending from the set-up has run).
 */
async function syncedPair() {
  const [na, nb] = pipe()
  const a = new Repo({ network: [na], peerId: "a" as PeerId, sharePolicy: async () => true })
  const b = new Repo({ network: [nb], peerId: "b" as PeerId, sharePolicy: async () => true })
  const ha = a.create<Doc>({ content: "" })
  const hb = await b.find<Doc>(ha.url)
  await vi.waitFor(() => expect(hb.doc().content).toBe(""))
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] })
  await vi.advanceTimersByTimeAsync(1000)
  return { na, a, b, ha, hb }
}

describe("sync flush patch", () => {
  // The package's exports don't list the file, so no resolve(): the path the build patches.
  const file = fileURLToPath(new URL("../node_modules/@automerge/automerge-repo/dist/synchronizer/DocSynchronizer.js", import.meta.url))

  it("applies to the installed automerge-repo", () => {
    const patched = patchDocSynchronizer(readFileSync(file, "utf8"))
    expect(patched).toContain(`syncDebounceRate = ${SYNC_FLUSH_MS};`)
    expect(patched).not.toContain("syncDebounceRate = 100;")
    expect(patched).toContain('handle.on("change", __pairpadEagerThrottle(() => this.#syncWithPeers(), this.syncDebounceRate));')
    expect(patched).not.toContain("asyncThrottle(() => this.#syncWithPeers()")
  })

  it("throws (failing the build) when automerge-repo no longer has the line", () => {
    const changed = readFileSync(file, "utf8").replace("syncDebounceRate = 100;", "syncDebounceRate = 50;")
    expect(() => patchDocSynchronizer(changed)).toThrow(/automerge-repo changed/)
    expect(() => patchDocSynchronizer("")).toThrow(/found 0/)
    const noThrottle = readFileSync(file, "utf8").replace("asyncThrottle(() => this.#syncWithPeers()", "throttle(() => this.#syncWithPeers()")
    expect(() => patchDocSynchronizer(noThrottle)).toThrow(/keystrokes would otherwise wait for a timer/)
  })

  it("flushes a local change to the peer within 25 ms, even right after a flush", async () => {
    expect(SYNC_FLUSH_MS).toBeLessThanOrEqual(25)
    const { na, a, b, ha, hb } = await syncedPair()
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

  it("sends a change made after a quiet spell without waiting for any timer", async () => {
    const { na, a, b, ha, hb } = await syncedPair()
    for (const text of ["x", "xy"]) {
      const before = na.sent.filter(m => m.type === "sync").length
      ha.change(d => {
        d.content = text
      })
      await drainMicrotasks() // the fake clock stands still: no timer can fire
      expect(na.sent.filter(m => m.type === "sync").length, `sync for ${JSON.stringify(text)} sent on microtasks`).toBeGreaterThan(before)
      expect(hb.doc().content).toBe(text)
      await vi.advanceTimersByTimeAsync(1000)
    }
    vi.useRealTimers()
    await a.shutdown()
    await b.shutdown()
  })
})
