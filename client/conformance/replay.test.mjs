// Issue 13: the first 3,000 transactions of each concurrent editing trace
// (josephg/editing-traces, CC BY 4.0: friendsforever, clownschool) replayed
// twice: by `pairload replay -deterministic` through the server (one Go client
// per trace agent), and here in pure Automerge JS with no server (the same
// actor ids, change times and root document). Both must converge to the
// same document: the same heads (change hashes), hence the same text.
import { test, before, after } from "node:test"
import assert from "node:assert/strict"
import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { gunzipSync } from "node:zlib"
import * as A from "@automerge/automerge"
import { startServer } from "./harness.mjs"

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, "../..")
const LIMIT = 3000
let server, dir, pairload

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "pairpad-replay-"))
  pairload = process.env.PAIRLOAD_BIN
  if (!pairload) {
    pairload = path.join(dir, "pairload")
    execFileSync("go", ["build", "-o", pairload, "./cmd/pairload"], { cwd: root, stdio: "inherit" })
  }
  server = await startServer({ ROOM_CREATE_RATE: "0" })
})
after(async () => {
  await server?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

// The fixed actor of a trace agent (pairload's AgentActor).
const agentActor = (trace, agent) => createHash("sha256").update(`pairpad-replay/${trace}/${agent}`).digest("hex").slice(0, 32)

// pureReplay applies the trace's first transactions in Automerge JS: one
// document per agent, each transaction on exactly its ancestors, one change
// per transaction stamped with the trace's time in seconds, from the root a
// deterministic replay imports (the server's actor, time 0, language a
// scalar string as the Go server writes it).
function pureReplay(trace, txns, numAgents) {
  const rootDoc = A.change(A.init({ actor: "70616972706164" }), { time: 0 }, d => {
    d.content = ""
    d.language = new A.ImmutableString("plaintext")
  })
  const saved = A.save(rootDoc)
  const agents = Array.from({ length: numAgents }, (_, a) => ({ doc: A.load(saved, { actor: agentActor(trace, a) }), have: new Set() }))
  const changes = []
  txns.forEach((txn, i) => {
    const agent = agents[txn.agent]
    const need = []
    const seen = new Set()
    const stack = [...txn.parents]
    while (stack.length) {
      const n = stack.pop()
      if (agent.have.has(n) || seen.has(n)) continue
      seen.add(n)
      need.push(n)
      stack.push(...txns[n].parents)
    }
    need.sort((x, y) => x - y)
    const missing = need.map(n => changes[n]).filter(Boolean)
    if (missing.length) [agent.doc] = A.applyChanges(agent.doc, missing)
    for (const n of need) agent.have.add(n)
    agent.have.add(i)
    const patches = txn.patches.filter(([, del, ins]) => del > 0 || ins !== "")
    if (!patches.length) return
    const time = txn.time ? Math.floor(Date.parse(txn.time) / 1000) : 0
    agent.doc = A.change(agent.doc, { time }, d => {
      for (const [pos, del, ins] of patches) A.splice(d, ["content"], pos, del, ins)
    })
    changes[i] = A.getLastLocalChange(agent.doc)
  })
  let final = A.load(saved)
  ;[final] = A.applyChanges(final, changes.filter(Boolean))
  return { text: final.content, heads: A.getHeads(final).sort(), changes: changes.filter(Boolean).length }
}

for (const trace of ["friendsforever", "clownschool"]) {
  test(`${trace}: the first ${LIMIT} transactions through the server equal a pure Automerge JS replay`, async () => {
    const t = JSON.parse(gunzipSync(readFileSync(path.join(root, "testdata", "traces", `${trace}.json.gz`))))
    assert.equal(t.kind, "concurrent")
    const txns = t.txns.slice(0, LIMIT)
    assert.ok(txns.some(x => x.parents.length > 1), "the prefix has merges")
    const js = pureReplay(trace, txns, t.numAgents)

    const out = path.join(dir, `${trace}.json`)
    execFileSync(pairload, ["replay", "-trace", trace, "-traces", path.join(root, "testdata", "traces"), "-limit", String(LIMIT), "-deterministic", "-url", server.base, "-out", out], { stdio: ["ignore", "ignore", "inherit"], timeout: 300_000 })
    const lines = readFileSync(out, "utf8").trim().split("\n")
    const run = JSON.parse(lines[lines.length - 1])
    assert.equal(run.converged, true, "every client and the server converged")
    assert.equal(run.txns, LIMIT)
    assert.equal(run.changes, js.changes, "one change per transaction that edits")
    assert.deepEqual(run.heads, js.heads, "the server's replay and the pure JS replay end at the same changes")
    assert.equal(run.chars, [...js.text].length, "and the same text length")
  })
}
