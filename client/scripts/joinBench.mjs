// Late join, side by side (issue 16 goal 6): a fresh stock automerge-repo
// client opens a document holding the first CHANGES transactions of the
// rustcode editing trace (Joseph Gentle's editing-traces, CC BY 4.0), one
// Automerge change per transaction, through Pairpad's GET /sync or through
// @automerge/automerge-repo-sync-server. JOINERS fresh clients arrive one
// after another, each after the previous one left; on Pairpad each waits
// until the server has unloaded the document (GET /rooms/{id}: loaded
// false), so every join loads it from the database. Time is `find()` until
// the full text is there; bytes are what the server sent (a counting proxy).
//
//   cd client && TARGET=pairpad taskset -c 1 node scripts/joinBench.mjs
//   TARGET=reference taskset -c 1 node scripts/joinBench.mjs
//   CHANGES=10000 JOINERS=5 SERVER_CPU=0 (defaults)
import { readFileSync } from "node:fs"
import { gunzipSync } from "node:zlib"
import path from "node:path"
import { fileURLToPath } from "node:url"
import * as A from "@automerge/automerge"
import { Repo } from "@automerge/automerge-repo"
import { BrowserWebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"
import { countingProxy, sleep, until } from "../conformance/harness.mjs"
import { cpuSeconds, startTarget } from "./benchTarget.mjs"

const TARGET = process.env.TARGET ?? "pairpad"
const CHANGES = Number(process.env.CHANGES ?? 10000)
const JOINERS = Number(process.env.JOINERS ?? 5)
const here = path.dirname(fileURLToPath(import.meta.url))
const trace = JSON.parse(gunzipSync(readFileSync(path.resolve(here, "../../testdata/traces/rustcode.json.gz"))).toString())

const server = await startTarget(TARGET, { cpu: process.env.SERVER_CPU ?? "0" })
const repos = []
const repo = url => {
  const r = new Repo({ network: [new BrowserWebSocketClientAdapter(url)] })
  repos.push(r)
  return r
}
const leave = async r => {
  await r.shutdown()
  repos.splice(repos.indexOf(r), 1)
}
// Pairpad unloads a document once its last peer left and it is saved.
const unloaded = async id => {
  if (TARGET !== "pairpad") return
  await until("the document to be unloaded", async () => {
    const r = await fetch(`${server.base}/rooms/${id}`)
    return r.ok && (await r.json()).loaded === false
  }, 30000)
}
try {
  const builder = repo(server.url)
  const handle = builder.create({ content: "" })
  const txns = trace.txns.slice(0, CHANGES)
  for (let i = 0; i < txns.length; i++) {
    handle.change(d => {
      for (const [pos, del, ins] of txns[i].patches) A.splice(d, ["content"], pos, del, ins)
    })
    if (i % 200 === 199) await sleep(0) // let the adapter send
  }
  const want = handle.doc().content
  const savedBytes = A.save(handle.doc()).length
  // The server has everything once a second client finds the same heads.
  const probe = repo(server.url)
  const ph = await probe.find(handle.url)
  await until("the server to have every change", () => A.equals(ph.doc(), handle.doc()) && ph.doc().content === want, 120000)
  await leave(probe)
  await leave(builder)
  await unloaded(handle.documentId)

  const joins = []
  for (let j = 0; j < JOINERS; j++) {
    const proxy = await countingProxy(server.port)
    const endpoint = new URL(server.url).pathname
    const cpu0 = cpuSeconds(server.pid)
    const t0 = performance.now()
    const r = repo(`ws://127.0.0.1:${proxy.port}${endpoint}`)
    const h = await r.find(handle.url)
    await until("the full text", () => h.doc()?.content === want, 60000)
    const ms = performance.now() - t0
    joins.push({ ms: +ms.toFixed(1), bytes_down: proxy.stats.down, server_cpu_ms: Math.round((cpuSeconds(server.pid) - cpu0) * 1000) })
    await leave(r)
    proxy.close()
    await unloaded(handle.documentId)
  }
  const sorted = joins.map(j => j.ms).sort((a, b) => a - b)
  console.log(JSON.stringify({
    scenario: "late-join", target: TARGET, trace: "rustcode", changes: txns.length, text_chars: want.length, saved_bytes: savedBytes,
    median_ms: sorted[Math.floor(sorted.length / 2)], joins,
    max_bytes_over_saved: +Math.max(...joins.map(j => j.bytes_down / savedBytes)).toFixed(2),
  }))
} finally {
  for (const r of [...repos]) await r.shutdown().catch(() => {})
  await server.stop()
}
