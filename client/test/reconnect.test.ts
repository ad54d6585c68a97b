import { describe, expect, it, vi } from "vitest"
import { cbor, type PeerId } from "@automerge/automerge-repo"
import { backoffDelay, DEFAULT_BACKOFF } from "../src/sync/backoff"
import { CLOSE_TABLE, isRetryableClose } from "../src/sync/closeCodes"
import { RoomSocketAdapter, type Environment, type SocketLike, type StatusReport } from "../src/sync/socketAdapter"

describe("backoffDelay", () => {
  const opts = { baseMs: 500, maxMs: 10_000, factor: 2, jitter: 0 }
  it("doubles from the base and caps at the maximum", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map(n => backoffDelay(n, opts))).toEqual([500, 1000, 2000, 4000, 8000, 10000, 10000, 10000])
  })
  it("stays within the jitter band and never above the cap", () => {
    for (let n = 0; n < 8; n++) {
      const lo = backoffDelay(n, DEFAULT_BACKOFF, () => 0)
      const hi = backoffDelay(n, DEFAULT_BACKOFF, () => 0.999999)
      const mid = Math.min(DEFAULT_BACKOFF.maxMs, DEFAULT_BACKOFF.baseMs * 2 ** n)
      expect(lo).toBeGreaterThanOrEqual(Math.round(mid * 0.8) - 1)
      expect(hi).toBeLessThanOrEqual(DEFAULT_BACKOFF.maxMs)
      expect(hi).toBeGreaterThanOrEqual(lo)
    }
  })
  it("treats negative and fractional attempts sanely", () => {
    expect(backoffDelay(-3, opts)).toBe(500)
    expect(backoffDelay(1.7, opts)).toBe(1000)
  })
  it("knows which close codes are worth retrying", () => {
    expect(isRetryableClose(1006)).toBe(true)
    expect(isRetryableClose(1001)).toBe(true)
    expect(isRetryableClose(4429)).toBe(true)
    expect(isRetryableClose(4408)).toBe(true)
    expect(isRetryableClose(4404)).toBe(false)
    expect(isRetryableClose(4403)).toBe(false)
  })
})

type L = (ev: { data?: unknown; code?: number }) => void

class FakeSocket implements SocketLike {
  readyState = 0
  binaryType = "blob"
  sent: unknown[] = []
  closedWith: number | null = null
  private listeners = new Map<string, Set<L>>()
  constructor(readonly url: string) {}
  send(data: ArrayBuffer) {
    this.sent.push(cbor.decode(new Uint8Array(data)))
  }
  close(code?: number) {
    this.closedWith = code ?? 1000
    this.readyState = 3
  }
  addEventListener(type: string, l: L) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set())
    this.listeners.get(type)!.add(l)
  }
  removeEventListener(type: string, l: L) {
    this.listeners.get(type)?.delete(l)
  }
  fire(type: string, ev: { data?: unknown; code?: number } = {}) {
    for (const l of [...(this.listeners.get(type) ?? [])]) l(ev)
  }
  // helpers
  open() {
    this.readyState = 1
    this.fire("open")
  }
  receive(msg: unknown) {
    const bytes = cbor.encode(msg)
    this.fire("message", { data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) })
  }
  drop(code = 1006) {
    this.readyState = 3
    this.fire("close", { code })
  }
}

function setup() {
  vi.useFakeTimers()
  const sockets: FakeSocket[] = []
  let online = true
  let onlineCb: ((o: boolean) => void) | null = null
  const env: Environment = {
    createSocket: url => {
      const s = new FakeSocket(url)
      sockets.push(s)
      return s
    },
    now: () => Date.now(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: id => clearTimeout(id as ReturnType<typeof setTimeout>),
    isOnline: () => online,
    onOnlineChange: cb => {
      onlineCb = cb
      return () => (onlineCb = null)
    },
    random: () => 0.5, // no jitter
  }
  const statuses: StatusReport[] = []
  const adapter = new RoomSocketAdapter("ws://x/ws/room", { env, onStatus: r => statuses.push(r) })
  const events: string[] = []
  adapter.on("peer-candidate", e => events.push(`candidate:${e.peerId}`))
  adapter.on("peer-disconnected", e => events.push(`disconnected:${e.peerId}`))
  adapter.on("message", m => events.push(`message:${m.type}`))
  const setOnline = (v: boolean) => {
    online = v
    onlineCb?.(v)
  }
  return { adapter, sockets, statuses, events, setOnline, last: () => statuses[statuses.length - 1] }
}

describe("RoomSocketAdapter", () => {
  it("joins, reports connected and passes messages to the repo", () => {
    const t = setup()
    t.adapter.connect("me" as PeerId, {})
    expect(t.last().status).toBe("connecting")
    const s = t.sockets[0]
    s.open()
    expect(s.sent[0]).toMatchObject({ type: "join", senderId: "me", supportedProtocolVersions: ["1"] })
    s.receive({ type: "peer", senderId: "server", targetId: "me", peerMetadata: {}, selectedProtocolVersion: "1" })
    expect(t.last().status).toBe("connected")
    expect(t.adapter.isReady()).toBe(true)
    s.receive({ type: "sync", senderId: "server", targetId: "me", documentId: "d", data: new Uint8Array([1]) })
    expect(t.events).toEqual(["candidate:server", "message:sync"])
    t.adapter.send({ type: "sync", senderId: "me" as PeerId, targetId: "server" as PeerId, documentId: "d" as never, data: new Uint8Array([2]) })
    expect(s.sent[1]).toMatchObject({ type: "sync", targetId: "server" })
    vi.useRealTimers()
  })

  it("reconnects with growing delays after drops and resets after success", () => {
    const t = setup()
    t.adapter.connect("me" as PeerId, {})
    t.sockets[0].open()
    t.sockets[0].receive({ type: "peer", senderId: "server", peerMetadata: {} })
    t.sockets[0].drop(1006)
    expect(t.events).toContain("disconnected:server")
    expect(t.last()).toMatchObject({ status: "reconnecting", lastCloseCode: 1006 })
    // attempt 0: 500 ms
    vi.advanceTimersByTime(499)
    expect(t.sockets).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(t.sockets).toHaveLength(2)
    t.sockets[1].drop(1006) // refused
    vi.advanceTimersByTime(999)
    expect(t.sockets).toHaveLength(2)
    vi.advanceTimersByTime(1)
    expect(t.sockets).toHaveLength(3)
    t.sockets[2].drop(1006)
    vi.advanceTimersByTime(2000)
    expect(t.sockets).toHaveLength(4)
    // success resets the backoff
    t.sockets[3].open()
    t.sockets[3].receive({ type: "peer", senderId: "server", peerMetadata: {} })
    expect(t.last()).toMatchObject({ status: "connected", attempt: 0 })
    t.sockets[3].drop(1001)
    vi.advanceTimersByTime(500)
    expect(t.sockets).toHaveLength(5)
    vi.useRealTimers()
  })

  it("drops sends while disconnected instead of throwing", () => {
    const t = setup()
    t.adapter.connect("me" as PeerId, {})
    expect(() =>
      t.adapter.send({ type: "sync", senderId: "me" as PeerId, targetId: "server" as PeerId, documentId: "d" as never, data: new Uint8Array([1]) }),
    ).not.toThrow()
    expect(t.sockets[0].sent).toHaveLength(0)
    vi.useRealTimers()
  })

  it("goes offline at once on the browser's offline event, and retries at once when online", () => {
    const t = setup()
    t.adapter.connect("me" as PeerId, {})
    t.sockets[0].open()
    t.sockets[0].receive({ type: "peer", senderId: "server", peerMetadata: {} })
    t.setOnline(false)
    expect(t.sockets[0].closedWith).not.toBeNull()
    expect(t.events).toContain("disconnected:server")
    expect(t.last().status).toBe("offline")
    vi.advanceTimersByTime(3000)
    expect(t.sockets).toHaveLength(1) // no hammering while offline
    t.setOnline(true)
    expect(t.sockets).toHaveLength(2)
    expect(t.last().status).toBe("reconnecting")
    vi.useRealTimers()
  })

  it("retries exactly the close codes the server's table marks retryable", () => {
    for (const row of [...CLOSE_TABLE, { code: 1006, retry: true }]) {
      const t = setup()
      t.adapter.connect("me" as PeerId, {})
      t.sockets[0].open()
      t.sockets[0].receive({ type: "peer", senderId: "server", peerMetadata: {} })
      t.sockets[0].drop(row.code)
      expect(t.last(), String(row.code)).toMatchObject({ status: row.retry ? "reconnecting" : "failed", lastCloseCode: row.code })
      vi.advanceTimersByTime(60_000)
      expect(t.sockets.length > 1, String(row.code)).toBe(row.retry)
      t.adapter.disconnect()
      vi.useRealTimers()
    }
  })

  it("does not relay other peers' ephemeral messages back to the server", () => {
    const t = setup()
    t.adapter.connect("me" as PeerId, {})
    const s = t.sockets[0]
    s.open()
    s.receive({ type: "peer", senderId: "server", peerMetadata: {} })
    const frame = (senderId: string, count: number) => ({
      type: "ephemeral" as const,
      senderId: senderId as PeerId,
      targetId: "server" as PeerId,
      documentId: "d" as never,
      sessionId: "s1" as never,
      count,
      data: new Uint8Array([0xa0]),
    })
    // What automerge-repo's DocSynchronizer hands back after receiving another browser's presence.
    t.adapter.send(frame("other-browser", 7))
    t.adapter.send(frame("me", 1))
    const sent = s.sent.slice(1) // after join
    expect(sent).toHaveLength(1)
    expect(sent[0]).toMatchObject({ type: "ephemeral", senderId: "me", count: 1 })
    vi.useRealTimers()
  })

  it("gives up on a fatal close code (room unknown)", () => {
    const t = setup()
    t.adapter.connect("me" as PeerId, {})
    t.sockets[0].open()
    t.sockets[0].drop(4404)
    expect(t.last()).toMatchObject({ status: "failed", lastCloseCode: 4404 })
    vi.advanceTimersByTime(60_000)
    expect(t.sockets).toHaveLength(1)
    // the user can still force a retry
    t.adapter.retryNow()
    expect(t.sockets).toHaveLength(2)
    vi.useRealTimers()
  })

  it("restarts a socket that opens but never gets the server's answer", () => {
    const t = setup()
    t.adapter.connect("me" as PeerId, {})
    t.sockets[0].open()
    vi.advanceTimersByTime(5000)
    expect(t.sockets[0].closedWith).not.toBeNull()
    vi.advanceTimersByTime(500)
    expect(t.sockets).toHaveLength(2)
    vi.useRealTimers()
  })

  it("becomes ready after a timeout even when the server never answers (so find() can fall back to storage)", () => {
    const t = setup()
    t.adapter.connect("me" as PeerId, {})
    expect(t.adapter.isReady()).toBe(false)
    vi.advanceTimersByTime(1000)
    expect(t.adapter.isReady()).toBe(true)
    vi.useRealTimers()
  })

  it("stops everything on disconnect", () => {
    const t = setup()
    t.adapter.connect("me" as PeerId, {})
    t.sockets[0].open()
    t.sockets[0].receive({ type: "peer", senderId: "server", peerMetadata: {} })
    t.adapter.disconnect()
    expect(t.sockets[0].closedWith).toBe(1000)
    vi.advanceTimersByTime(60_000)
    expect(t.sockets).toHaveLength(1)
    vi.useRealTimers()
  })
})
