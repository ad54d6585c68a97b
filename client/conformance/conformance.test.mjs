// Protocol conformance: the stock @automerge/automerge-repo client (with its
// WebSocket adapter) against the real Pairpad binary.
import { test, before, after } from "node:test"
import assert from "node:assert/strict"
import * as A from "@automerge/automerge"
import { generateAutomergeUrl } from "@automerge/automerge-repo"
import { startServer, createRoom, connect, countingProxy, until, sleep, shutdownRepos } from "./harness.mjs"

let server
const repos = []
before(async () => { server = await startServer() })
after(async () => {
  await shutdownRepos(repos)
  await server?.stop()
})

function open(room, port) {
  const { repo } = connect(server.wsURL(room, port))
  repos.push(repo)
  return repo
}

test("two stock clients find the room, edit concurrently and converge", async () => {
  const room = await createRoom(server.base, "typescript")
  const a = await open(room).find(`automerge:${room}`)
  const b = await open(room).find(`automerge:${room}`)
  assert.equal(String(a.doc().language), "typescript") // a scalar string: ImmutableString in JS
  assert.equal(a.doc().content, "")

  a.change(d => A.splice(d, ["content"], 0, 0, "const a = 1;\n"))
  await until("b sees a's edit", () => b.doc().content === "const a = 1;\n")

  // Concurrent: both type at different places before hearing from the other.
  for (let i = 0; i < 20; i++) {
    a.change(d => A.splice(d, ["content"], 0, 0, "A"))
    b.change(d => A.splice(d, ["content"], d.content.length, 0, "B"))
  }
  await until("convergence", () => a.doc().content === b.doc().content && a.doc().content.length === 13 + 40)
  assert.match(a.doc().content, /^A{20}const a = 1;\nB{20}$/)

  // The server's copy agrees.
  await until("server text", async () => (await (await fetch(`${server.base}/rooms/${room}/text`)).text()) === a.doc().content)
})

test("ephemeral messages reach the other peer", async () => {
  const room = await createRoom(server.base)
  const a = await open(room).find(`automerge:${room}`)
  const b = await open(room).find(`automerge:${room}`)
  const got = new Promise(resolve => b.on("ephemeral-message", e => resolve(e)))
  // Re-send until delivered: the other peer may still be joining.
  let delivered = false
  got.then(() => { delivered = true })
  for (let i = 0; i < 50 && !delivered; i++) {
    a.broadcast({ cursor: 7, name: "ada" })
    await sleep(50)
  }
  const e = await got
  assert.deepEqual(e.message, { cursor: 7, name: "ada" })
})

test("a document other than the room's is unavailable", async () => {
  const room = await createRoom(server.base)
  const foreign = generateAutomergeUrl()
  await assert.rejects(open(room).find(foreign), /unavailable/i)
})

test("fast join: a fresh client opens a 10,000-change room with at most 3x its saved size on the wire", async () => {
  const room = await createRoom(server.base, "python")
  const typist = await open(room).find(`automerge:${room}`)
  for (let i = 0; i < 10000; i++) {
    typist.change(d => A.splice(d, ["content"], i, 0, String.fromCharCode(97 + (i % 26))))
  }
  const want = typist.doc().content
  await until("server has all changes", async () => (await (await fetch(`${server.base}/rooms/${room}/text`)).text()) === want, 60000)
  const saved = (await (await fetch(`${server.base}/rooms/${room}/snapshot`)).arrayBuffer()).byteLength

  const proxy = await countingProxy(server.port)
  try {
    const t0 = performance.now()
    const fresh = await open(room, proxy.port).find(`automerge:${room}`)
    await until("fresh client has the text", () => fresh.doc().content === want)
    const ms = performance.now() - t0
    // The client answers the snapshot with its new heads, so the server
    // never falls back to resending the history as v1 (it would after 3 s).
    await sleep(3500)
    console.log(`fast join: saved ${saved} B, received ${proxy.stats.down} B (${(proxy.stats.down / saved).toFixed(2)}x) in ${ms.toFixed(0)} ms`)
    assert.ok(proxy.stats.down <= 3 * saved, `received ${proxy.stats.down} B, limit ${3 * saved} B`)
    // It keeps syncing normally afterwards.
    fresh.change(d => A.splice(d, ["content"], 0, 0, ">"))
    await until("typist sees the fresh client's edit", () => typist.doc().content === ">" + want)
  } finally {
    proxy.close()
  }
  const metrics = await (await fetch(`${server.base}/metrics`)).text()
  assert.match(metrics, /pairpad_fast_joins_total [1-9]/)
})
