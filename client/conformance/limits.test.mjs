// Issue 9 limits with the stock automerge-repo client against the real
// binary: a change larger than the old 1 MiB internal cap syncs, and a change
// over MAX_DOC_BYTES is refused with 4507 while the room keeps working.
import { test, after } from "node:test"
import assert from "node:assert/strict"
import * as A from "@automerge/automerge"
import { startServer, createRoom, connect, until, shutdownRepos } from "./harness.mjs"

const servers = []
const repos = []
after(async () => {
  await shutdownRepos(repos)
  for (const s of servers) await s.stop()
})

async function server(env) {
  const s = await startServer(env)
  servers.push(s)
  return s
}

function open(s, room) {
  const { repo } = connect(s.wsURL(room))
  repos.push(repo)
  return repo.find(`automerge:${room}`)
}

async function closes(s, code) {
  const text = await (await fetch(`${s.base}/metrics`)).text()
  const m = text.match(new RegExp(`pairpad_closes_total\\{code="${code}"\\} (\\d+)`))
  return m ? Number(m[1]) : 0
}

test("a 1.5 MiB change syncs between stock clients (MAX_DOC_BYTES=4MiB)", async () => {
  const s = await server({ MAX_DOC_BYTES: "4MiB" })
  const room = await createRoom(s.base, "plaintext")
  const a = await open(s, room)
  const b = await open(s, room)
  const big = "0123456789abcdef".repeat(3 << 15) // 1.5 MiB, one change
  a.change(d => A.splice(d, ["content"], 0, 0, big))
  // automerge-go applies a change this size in seconds (superlinear): allow 100 s.
  await until("b has the 1.5 MiB paste", () => b.doc().content.length === big.length, 100_000)
  assert.equal(b.doc().content, big)
  assert.equal(await closes(s, 4422), 0)
  // And typing goes on after it.
  b.change(d => A.splice(d, ["content"], 0, 0, "after "))
  await until("a sees b's edit", () => a.doc().content.startsWith("after 0123"), 60_000)
})

test("a change over MAX_DOC_BYTES is refused with 4507; the room keeps working", async () => {
  const s = await server({ MAX_DOC_BYTES: "64KiB" })
  const room = await createRoom(s.base, "plaintext")
  const a = await open(s, room)
  const b = await open(s, room)
  a.change(d => A.splice(d, ["content"], 0, 0, "x".repeat(40 << 10)))
  await until("b has a's text", () => b.doc().content.length === 40 << 10)
  b.change(d => A.splice(d, ["content"], 0, 0, "y".repeat(40 << 10)))
  await until("b closed with 4507", async () => (await closes(s, 4507)) >= 1)
  // a keeps editing; a fresh client sees a's text and nothing of b's paste.
  a.change(d => A.splice(d, ["content"], 0, 0, "still here "))
  const c = await open(s, room)
  await until("c has a's edit", () => (c.doc()?.content ?? "").startsWith("still here x"))
  assert.equal(c.doc().content.includes("y"), false)
  const text = await (await fetch(`${s.base}/rooms/${room}/text`)).text()
  assert.equal(text, `still here ${"x".repeat(40 << 10)}`)
  const info = await (await fetch(`${s.base}/rooms/${room}`)).json()
  assert.equal(info.max_doc_bytes, 64 << 10)
})
