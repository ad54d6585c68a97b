// History endpoints against Automerge JS: a room built by two stock
// automerge-repo clients (their actors read from their documents), then
// /history, /text?heads=, /diff, /blame and /graph must equal what
// @automerge/automerge computes from the room's /snapshot bytes; import then
// export keeps every change hash.
import { test, before, after } from "node:test"
import assert from "node:assert/strict"
import * as A from "@automerge/automerge"
import { startServer, createRoom, connect, until, shutdownRepos } from "./harness.mjs"

let server
const repos = []
before(async () => { server = await startServer() })
after(async () => {
  await shutdownRepos(repos)
  await server?.stop()
})

async function open(room) {
  const { repo } = connect(server.wsURL(room))
  repos.push(repo)
  return repo.find(`automerge:${room}`)
}

const getJSON = async path => {
  const r = await fetch(server.base + path)
  assert.equal(r.status, 200, `${path}: ${r.status} ${await r.clone().text()}`)
  return r.json()
}

const serverText = async room => (await fetch(`${server.base}/rooms/${room}/text`)).text()

// applies {pos, delete, insert} edits (code points) in order
function applyEdits(text, edits) {
  const cps = [...text]
  for (const e of edits) cps.splice(e.pos, e.delete, ...e.insert)
  return cps.join("")
}

// applies Automerge JS patches on path ["content", i] (UTF-16 indexes)
function applyPatches(text, patches) {
  for (const p of patches) {
    if (p.path[0] !== "content" || p.path.length !== 2) continue
    const i = p.path[1]
    if (p.action === "splice") text = text.slice(0, i) + p.value + text.slice(i)
    if (p.action === "del") text = text.slice(0, i) + text.slice(i + (p.length ?? 1))
  }
  return text
}

async function buildRoom() {
  const room = await createRoom(server.base, "typescript")
  const a = await open(room)
  const b = await open(room)
  const actorA = A.getActorId(a.doc())
  const actorB = A.getActorId(b.doc())
  a.change(d => { d.people[actorA] = { name: "Ada", colour: "#e11d48" } })
  a.change(d => A.splice(d, ["content"], 0, 0, "const x = 1;\n"))
  await until("b sees a", () => b.doc().content === "const x = 1;\n")
  b.change(d => { d.people[actorB] = { name: "Bob", colour: "#2563eb" } })
  // concurrent edits at both ends
  for (let i = 0; i < 5; i++) {
    a.change(d => A.splice(d, ["content"], 0, 0, "a"))
    b.change(d => A.splice(d, ["content"], d.content.length, 0, "b"))
  }
  await until("convergence", () => a.doc().content === b.doc().content && a.doc().content.length === 13 + 10)
  b.change(d => A.splice(d, ["content"], 5, 0, "// suggestion é\n"), { message: "ai" })
  await until("a sees the suggestion", () => a.doc().content === b.doc().content)
  a.change(d => A.splice(d, ["content"], 0, 3, "let y = 2;\nlet z = 3;\n"), { message: "paste" })
  await until("b sees the paste", () => a.doc().content === b.doc().content)
  b.change(d => A.splice(d, ["content"], 2, 4, ""))
  await until("server has it all", async () => (await serverText(room)) === b.doc().content && a.doc().content === b.doc().content)
  return { room, actorA, actorB, text: b.doc().content }
}

test("history, text at heads, diff, blame and graph equal Automerge JS's view of the snapshot", async () => {
  const { room, actorA, actorB, text } = await buildRoom()
  const base = `/rooms/${room}`
  const snap = new Uint8Array(await (await fetch(server.base + base + "/snapshot")).arrayBuffer())
  const doc = A.load(snap)
  assert.equal(doc.content, text)
  const changes = A.getAllChanges(doc).map(c => A.decodeChange(c))

  // the root change: the server's fixed actor, time in seconds, its people entry
  const root = changes.find(c => c.deps.length === 0)
  assert.equal(root.actor, "70616972706164")
  const now = Date.now() / 1000
  assert.ok(root.time > now - 600 && root.time < now + 5, `root change time ${root.time} is not in seconds`)
  assert.deepEqual({ ...doc.people["70616972706164"] }, { name: "Pairpad", colour: "#6b7280" })

  // /history, paged
  const listed = []
  let after = null
  for (let pages = 0; ; pages++) {
    const page = await getJSON(`${base}/history?limit=7${after ? `&after=${after}` : ""}`)
    listed.push(...page.changes)
    if (page.next === null) break
    assert.equal(page.next, page.changes.at(-1).hash)
    after = page.next
    assert.ok(pages < 50)
  }
  assert.equal(listed.length, changes.length)
  const contentObj = (() => {
    const i = root.ops.findIndex(op => op.action === "makeText" && op.key === "content" && op.obj === "_root")
    return `${root.startOp + i}@${root.actor}`
  })()
  const byHash = new Map(changes.map(c => [c.hash, c]))
  const seen = new Set()
  for (const h of listed) {
    const c = byHash.get(h.hash)
    assert.ok(c, `unknown change ${h.hash}`)
    for (const d of h.deps) assert.ok(seen.has(d), "not in causal order")
    seen.add(h.hash)
    let inserted = 0, deleted = 0
    for (const op of c.ops) {
      if (op.obj !== contentObj) continue
      if (op.action === "set" && op.insert) inserted += [...op.value].length
      if (op.action === "del") deleted += op.multiOp ?? 1
    }
    const p = doc.people[c.actor]
    const person = p ? { name: String(p.name), colour: String(p.colour) } : null
    assert.deepEqual(h, {
      hash: c.hash, actor: c.actor, person, seq: c.seq, time: c.time, deps: [...c.deps].sort(),
      message: c.message ?? null, inserted, deleted, ai: c.message === "ai", paste: c.message === "paste",
    }, `change ${c.actor}/${c.seq}`)
  }
  assert.equal(listed.filter(h => h.ai).length, 1)
  assert.equal(listed.filter(h => h.paste).length, 1)

  // text at every change, and diffs to now and back
  for (const c of changes) {
    const want = A.view(doc, [c.hash]).content ?? ""
    assert.equal(await (await fetch(`${server.base}${base}/text?heads=${c.hash}`)).text(), want, `text at ${c.hash}`)
    const edits = await getJSON(`${base}/diff?from=${c.hash}`)
    const patches = A.diff(doc, [c.hash], A.getHeads(doc))
    assert.equal(applyEdits(want, edits), text)
    assert.equal(applyPatches(want, patches), text)
    const jsInserted = patches.filter(p => p.action === "splice" && p.path[0] === "content").map(p => p.value).join("")
    const jsDeleted = patches.filter(p => p.action === "del" && p.path[0] === "content").reduce((n, p) => n + (p.length ?? 1), 0)
    assert.equal(edits.map(e => e.insert).join(""), jsInserted, `inserted text from ${c.hash}`)
    assert.equal(edits.reduce((n, e) => n + e.delete, 0), jsDeleted, `deleted characters from ${c.hash}`)
    for (const e of edits) assert.ok([actorA, actorB, "70616972706164"].includes(e.actor))
  }
  const concurrent = changes.filter(c => c.deps.length > 1)
  assert.ok(concurrent.length > 0, "the clients' edits were not concurrent")

  // blame: each character's author is its element id's actor (A.getCursor),
  // its kind the message of the change holding that insert operation
  const spans = await getJSON(`${base}/blame`)
  const decoded = A.getAllChanges(doc).map(raw => A.decodeChange(raw))
  const kindOf = (counter, actor) => {
    const c = decoded.find(d => d.actor === actor && counter >= d.startOp && counter < d.startOp + d.ops.length)
    return c?.message === "ai" || c?.message === "paste" ? c.message : "typed"
  }
  const authors = [...text].map((_, i) => {
    const [counter, actor] = A.getCursor(doc, ["content"], i).split("@")
    return { actor, kind: kindOf(Number(counter), actor) }
  })
  const want = []
  authors.forEach(({ actor, kind }, i) => {
    const last = want.at(-1)
    if (last && last.actor === actor && last.kind === kind) last.to = i + 1
    else want.push({ from: i, to: i + 1, actor, kind })
  })
  assert.deepEqual(spans.map(({ from, to, actor, kind }) => ({ from, to, actor, kind })), want)
  assert.ok(want.some(s => s.kind === "ai") && want.some(s => s.kind === "paste"), "the room has AI and pasted text")
  for (const s of spans) {
    assert.equal(s.person?.name, s.actor === actorA ? "Ada" : "Bob")
    assert.ok(s.time > now - 600 && s.time < now + 5)
  }
  assert.ok(spans.some(s => s.actor === actorA) && spans.some(s => s.actor === actorB))

  // graph
  const g = await getJSON(`${base}/graph?format=json`)
  assert.deepEqual(new Set(g.nodes.map(n => JSON.stringify(n))), new Set(changes.map(c => JSON.stringify({ hash: c.hash, actor: c.actor, seq: c.seq, time: c.time }))))
  assert.deepEqual(new Set(g.edges.map(e => `${e.from}>${e.to}`)), new Set(changes.flatMap(c => c.deps.map(d => `${c.hash}>${d}`))))
  const dot = await (await fetch(`${server.base}${base}/graph?format=dot`)).text()
  assert.match(dot, /^digraph history \{\n[\s\S]*\}\n$/)
  assert.equal((dot.match(/ -> /g) ?? []).length, g.edges.length)

  // The change hashes of the stock clients' changes (Automerge JS) were
  // rebuilt in Go from the saved document; automerge was never asked.
  const metrics = await (await fetch(`${server.base}/metrics`)).text()
  assert.match(metrics, /^pairpad_history_rehashes_total [1-9]/m)
  assert.match(metrics, /^pairpad_history_rehash_failures_total 0$/m)
})

test("import then export keeps every change hash", async () => {
  const { room, text } = await buildRoom()
  const snap = new Uint8Array(await (await fetch(`${server.base}/rooms/${room}/snapshot`)).arrayBuffer())
  const r = await fetch(`${server.base}/rooms`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: snap })
  assert.equal(r.status, 201, await r.clone().text())
  const { room_id } = await r.json()
  assert.notEqual(room_id, room)
  const again = new Uint8Array(await (await fetch(`${server.base}/rooms/${room_id}/snapshot`)).arrayBuffer())
  const hashes = bytes => A.getAllChanges(A.load(bytes)).map(c => A.decodeChange(c).hash).sort()
  assert.deepEqual(hashes(again), hashes(snap))
  assert.equal(await serverText(room_id), text)
  // a stock client opens the imported room and keeps editing it
  const c = await open(room_id)
  assert.equal(c.doc().content, text)
  c.change(d => A.splice(d, ["content"], 0, 0, "// imported\n"))
  await until("server has the edit", async () => (await serverText(room_id)) === "// imported\n" + text)

  const bad = await fetch(`${server.base}/rooms`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: new Uint8Array([1, 2, 3]) })
  assert.equal(bad.status, 400)
  assert.equal((await bad.json()).error.code, "invalid_document")
})
