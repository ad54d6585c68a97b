// GET /sync against automerge-repo's own acceptance suite and stock repos.
// Runs under vitest (the shipped suite uses vitest's describe/it) from
// `npm run test:conformance`, against the real binary (PAIRPAD_BIN or
// bin/pairpad, see harness.mjs). Every client talks to the server only: the
// server is the relaying peer, as @automerge/automerge-repo-sync-server is.
import assert from "node:assert/strict"
import { mkdtempSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { Repo, type AutomergeUrl, type DocHandle, type PeerId } from "@automerge/automerge-repo"
import { runNetworkAdapterTests } from "@automerge/automerge-repo/helpers/tests/network-adapter-tests.js"
import { DummyStorageAdapter } from "@automerge/automerge-repo/helpers/DummyStorageAdapter.js"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"
// @ts-expect-error: plain JS helper without types
import { startServer, createRoom, until } from "./harness.mjs"

type Server = { base: string; port: number; wsURL: (room: string) => string; stop: () => Promise<void> }

let server: Server
const syncURL = () => `ws://127.0.0.1:${server.port}/sync`
const open: WebSocketClientAdapter[] = []
const adapter = (url = syncURL()) => {
  const a = new WebSocketClientAdapter(url, 200)
  open.push(a)
  return a
}
// disconnect() asserts the adapter was connected: skip the unused ones.
// A socket still connecting (a slow machine) emits "error" once closed,
// after the adapter dropped its listener: keep that from going unhandled.
const disconnect = (a: WebSocketClientAdapter) => {
  if (!a.peerId || !a.socket) return
  a.socket.addEventListener("error", () => {})
  a.disconnect()
}
const closeAll = () => {
  for (const a of open.splice(0)) disconnect(a)
}

beforeAll(async () => {
  server = await startServer()
})
afterAll(async () => {
  closeAll()
  await server?.stop()
})

// Tests of the shipped suite that assume the three repos see each other as
// peers. They cannot apply to a client–server topology; each gets its
// client–server version below (and shows as skipped, not passed).
const notClientServer: Record<string, string> = {
  "emits a peer-candidate event with proper peer metadata when a peer connects":
    "a client's peer-candidate names the server, never another client: see 'peer-candidate names the server with its storageId'",
  "should emit disconnect events on disconnect":
    "the other client never had the leaving client as a peer: see 'a disconnecting client sees the server leave; the others stay connected'",
  "should not send messages after disconnect":
    "it waits for the other client's peer-disconnected about the leaving client, which only the server sees: see 'nothing arrives from a disconnected client'",
}
beforeEach(ctx => {
  const why = notClientServer[ctx.task.name]
  if (why) ctx.skip(why)
})

runNetworkAdapterTests(async () => {
  const adapters = [adapter(), adapter(), adapter()]
  return { adapters, teardown: () => adapters.forEach(disconnect) }
}, "Pairpad GET /sync")

const event = <T = unknown>(emitter: { once: (e: string, f: (x: T) => void) => unknown }, name: string, ms = 10000) =>
  new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${name} within ${ms} ms`)), ms)
    emitter.once(name, (x: T) => {
      clearTimeout(t)
      resolve(x)
    })
  })

describe("client–server versions of the suite's peer-to-peer tests", () => {
  it("peer-candidate names the server with its storageId", async () => {
    const a = adapter()
    const got = event<{ peerId: string; peerMetadata: { storageId?: string; isEphemeral?: boolean } }>(a, "peer-candidate")
    a.connect("a" as PeerId, { storageId: "a" as never, isEphemeral: false })
    const pc = await got
    expect(pc.peerId).toMatch(/^pairpad-/)
    expect(pc.peerMetadata.isEphemeral).toBe(false)
    expect(pc.peerMetadata.storageId).toMatch(/^[0-9a-f-]{36}$/)
    // The same storage id on a second connection.
    const b = adapter()
    const got2 = event<{ peerMetadata: { storageId?: string } }>(b, "peer-candidate")
    b.connect("b" as PeerId, {})
    expect((await got2).peerMetadata.storageId).toBe(pc.peerMetadata.storageId)
    closeAll()
  })

  it("a disconnecting client sees the server leave; the others stay connected", async () => {
    const left = adapter(), right = adapter()
    const leftRepo = new Repo({ network: [left], peerId: "left" as PeerId })
    const rightRepo = new Repo({ network: [right], peerId: "right" as PeerId })
    await Promise.all([event(leftRepo.networkSubsystem, "peer"), event(rightRepo.networkSubsystem, "peer")])
    const gone = event<{ peerId: string }>(leftRepo.networkSubsystem, "peer-disconnected")
    left.disconnect()
    expect((await gone).peerId).toMatch(/^pairpad-/)
    // right still syncs through the server.
    const h = rightRepo.create<{ n?: number }>()
    const third = new Repo({ network: [adapter()], peerId: "third" as PeerId })
    const found = await third.find<{ n?: number }>(h.url)
    h.change(d => { d.n = 1 })
    await until("the edit to reach the third repo", () => found.doc()?.n === 1)
    closeAll()
  })

  it("nothing arrives from a disconnected client", async () => {
    const left = adapter(), right = adapter()
    const leftRepo = new Repo({ network: [left], peerId: "left2" as PeerId })
    const rightRepo = new Repo({ network: [right], peerId: "right2" as PeerId })
    await Promise.all([event(leftRepo.networkSubsystem, "peer"), event(rightRepo.networkSubsystem, "peer")])
    const fromLeft: unknown[] = []
    right.on("message", m => { if (m.senderId === "left2") fromLeft.push(m) })
    const gone = event(left, "peer-disconnected")
    left.disconnect()
    await gone
    const h = leftRepo.create<{ x?: number }>()
    h.change(d => { d.x = 1 })
    // The server must not know the document: right asks and is told it is unavailable.
    await expect(rightRepo.find(h.url)).rejects.toThrow(/unavailable/i)
    assert.equal(fromLeft.length, 0)
    closeAll()
  })
})

describe("stock repos on GET /sync", () => {
  it("two repos create, find and edit several documents; a third finds them all after a restart", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "pairpad-sync-"))
    const env = { DATABASE_URL: `sqlite:${path.join(dir, "sync.db")}` }
    let srv: Server = await startServer(env)
    try {
      const url = `ws://127.0.0.1:${srv.port}/sync`
      const a = new Repo({ network: [adapter(url)], peerId: "ra" as PeerId })
      const b = new Repo({ network: [adapter(url)], peerId: "rb" as PeerId })
      type D = { by?: string; n?: number; edits?: string[] }
      const made: DocHandle<D>[] = []
      for (const [repo, who] of [[a, "a"], [b, "b"]] as const) {
        for (let i = 0; i < 3; i++) {
          made.push(repo.create<D>({ by: who, n: i, edits: [] }))
        }
      }
      // Each repo finds the other's documents and edits every one.
      for (const [repo, who] of [[a, "a"], [b, "b"]] as const) {
        for (const h of made) {
          const mine = (h.doc()!.by === who)
          const hh = mine ? h : await repo.find<D>(h.url)
          hh.change(d => { d.edits!.push(who) })
        }
      }
      for (const h of made) {
        await until(`both edits of ${h.url}`, () => (h.doc()?.edits?.length ?? 0) === 2)
      }
      closeAll()
      await srv.stop()
      srv = await startServer(env)
      const c = new Repo({ network: [adapter(`ws://127.0.0.1:${srv.port}/sync`)], peerId: "rc" as PeerId })
      for (const h of made) {
        const got = await c.find<D>(h.url)
        expect(got.doc()?.by).toBe(h.doc()!.by)
        expect([...(got.doc()?.edits ?? [])].sort()).toEqual(["a", "b"])
      }
    } finally {
      closeAll()
      await srv.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("a repo on /sync and a client on /ws/{room} see each other's edits", async () => {
    const room = await createRoom(server.base, "typescript")
    type R = { content: string; language: string }
    const viaSync = new Repo({ network: [adapter()], peerId: "s1" as PeerId })
    const viaWs = new Repo({ network: [adapter(server.wsURL(room))], peerId: "w1" as PeerId })
    const url = `automerge:${room}` as AutomergeUrl
    const hs = await viaSync.find<R>(url)
    const hw = await viaWs.find<R>(url)
    expect(String(hs.doc()?.language)).toBe("typescript")
    const { splice } = await import("@automerge/automerge-repo")
    hs.change(d => splice(d, ["content"], 0, 0, "from sync;"))
    await until("the /sync edit on /ws", () => hw.doc()?.content.includes("from sync;") ?? false)
    hw.change(d => splice(d, ["content"], 0, 0, "from ws;"))
    await until("the /ws edit on /sync", () => hs.doc()?.content.includes("from ws;") ?? false)
    closeAll()
  })

  it("remote-heads gossip: a repo learns which of its changes its partner has", async () => {
    // Both repos have storage (so a storageId, and are not ephemeral) and
    // gossip on; bob subscribes to alice's storageId through the server.
    type D = { n: number }
    const repo = (peerId: string) =>
      new Repo({ network: [adapter()], storage: new DummyStorageAdapter(), peerId: peerId as PeerId, enableRemoteHeadsGossiping: true })
    const alice = repo("gossip-alice")
    const bob = repo("gossip-bob")
    const ha = alice.create<D>({ n: 0 })
    await until("alice's document on the server", async () => {
      try {
        await bob.find<D>(ha.url)
        return true
      } catch {
        return false
      }
    })
    const hb = await bob.find<D>(ha.url)
    const aliceStorage = await alice.storageId()
    assert.ok(aliceStorage, "alice has a storageId")
    const heard: string[][] = []
    hb.on("remote-heads", ({ storageId, heads }: { storageId: string; heads: string[] }) => {
      if (storageId === aliceStorage) heard.push(heads)
    })
    bob.subscribeToRemotes([aliceStorage!])
    ha.change(d => { d.n = 1 })
    const want = ha.heads()
    await until("alice's heads at bob through the server", () => heard.some(h => JSON.stringify(h) === JSON.stringify(want)))
    // The heads may be heard just before the sync message that carries the
    // change (the server holds gossip until its batch's sync messages, but
    // automerge may hold a message back until bob answers the last one).
    await until("alice's change at bob", () => hb.doc()?.n === 1)
    // Bob edits; alice's acknowledgement reaches bob as her new heads.
    hb.change(d => { d.n = 2 })
    await until("alice has bob's change", () => ha.doc()?.n === 2)
    const both = hb.heads()
    await until("bob hears that alice has his change", () => heard.some(h => JSON.stringify(h) === JSON.stringify(both)))
    closeAll()
  })
})
