// Many documents per socket: stock automerge-repo Repos against Pairpad's
// GET /sync or against @automerge/automerge-repo-sync-server, the same load
// on both (BENCHMARKS.md, "/sync: many documents per socket").
//
// PEERS repos (each one WebSocket), paired: the first of a pair creates DOCS
// documents, its partner finds them, then the creators edit their documents
// round-robin at RATE changes/s in total for SECONDS. Measured: change-to-
// partner latency (both repos live in this process, one clock), server CPU
// per change (/proc of the server process), server RSS at the end of the load
// and again SETTLE seconds after every repo has disconnected.
//
//   cd client && TARGET=pairpad node scripts/syncBench.mjs
//   TARGET=reference node scripts/syncBench.mjs   (needs `npm ci` in bench/reference)
//   PEERS=50 DOCS=20 RATE=100 SECONDS=20 SETTLE=10 SERVER_CPU=0 (defaults)
//
// Run this process on another core than the server (taskset -c 1 node ...):
// the server is started pinned to SERVER_CPU. Loopback only, bounded in time.
import * as A from "@automerge/automerge"
import { Repo } from "@automerge/automerge-repo"
import { BrowserWebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"
import { sleep, until } from "../conformance/harness.mjs"
import { cpuSeconds, rssMB, startTarget } from "./benchTarget.mjs"

const env = name => Number(process.env[name] ?? NaN)
const TARGET = process.env.TARGET ?? "pairpad"
const PEERS = env("PEERS") || 50
const DOCS = env("DOCS") || 20
const RATE = env("RATE") || 100
const SECONDS = env("SECONDS") || 20
const SETTLE = env("SETTLE") || 10
const SERVER_CPU = process.env.SERVER_CPU ?? "0"
if (PEERS % 2) throw new Error("PEERS must be even: peers are paired")
const server = await startTarget(TARGET, { cpu: SERVER_CPU })
const repos = []
const lat = []
const sent = new Map() // `${doc}:${n}` → send time
try {
  for (let i = 0; i < PEERS; i++) repos.push(new Repo({ network: [new BrowserWebSocketClientAdapter(server.url)] }))
  const pairs = []
  for (let p = 0; p < PEERS / 2; p++) {
    const [a, b] = [repos[2 * p], repos[2 * p + 1]]
    const docs = []
    for (let d = 0; d < DOCS; d++) docs.push({ writer: a.create({ content: "", n: 0 }), n: 0 })
    pairs.push({ a, b, docs })
  }
  // Partners find every document (retrying while the creator's first sync is
  // still on its way to the server).
  const setupStart = performance.now()
  await Promise.all(pairs.flatMap(({ b, docs }) => docs.map(async doc => {
    const deadline = Date.now() + 60000
    for (;;) {
      try {
        doc.reader = await b.find(doc.writer.url)
        break
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`partner could not find ${doc.writer.url}: ${e.message}`)
        await sleep(200)
      }
    }
    doc.reader.on("change", ({ doc: d }) => {
      const now = performance.now()
      for (let k = doc.seen + 1; k <= d.n; k++) {
        const key = `${doc.writer.documentId}:${k}`
        const t = sent.get(key)
        if (t !== undefined) { lat.push(now - t); sent.delete(key) }
      }
      doc.seen = Math.max(doc.seen, d.n)
    })
    doc.seen = 0
  })))
  const setupS = (performance.now() - setupStart) / 1000

  const all = pairs.flatMap(p => p.docs)
  const before = cpuSeconds(server.pid)
  const clientBefore = process.cpuUsage()
  const start = performance.now()
  let changes = 0
  while (performance.now() - start < SECONDS * 1000) {
    const doc = all[changes % all.length]
    doc.n++
    doc.writer.change(d => { A.splice(d, ["content"], d.content.length, 0, "x"); d.n = doc.n })
    sent.set(`${doc.writer.documentId}:${doc.n}`, performance.now())
    changes++
    const due = start + (changes * 1000) / RATE
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
  }
  const loadS = (performance.now() - start) / 1000
  await until("every change to reach its partner", () => sent.size === 0, 15000).catch(() => {})
  const after = cpuSeconds(server.pid)
  const clientCpu = process.cpuUsage(clientBefore)
  const rssLoaded = rssMB(server.pid)
  for (const r of repos) await r.shutdown().catch(() => {})
  repos.length = 0
  await sleep(SETTLE * 1000) // the question is what the server keeps after everyone left
  const rssAfter = rssMB(server.pid)

  lat.sort((x, y) => x - y)
  const q = p => (lat.length ? +lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(1) : null)
  const cpuS = after - before
  console.log(JSON.stringify({
    scenario: "sync-many-docs", target: TARGET, peers: PEERS, docs_per_peer: DOCS, documents: (PEERS / 2) * DOCS,
    rate_changes_per_s: RATE, seconds: +loadS.toFixed(1), setup_s: +setupS.toFixed(1),
    changes, delivered: lat.length, lost: sent.size,
    latency_ms: { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: q(1) },
    server_cpu_s: +cpuS.toFixed(2), server_cpu_ms_per_change: +((cpuS * 1000) / changes).toFixed(3),
    client_cpu_s: +((clientCpu.user + clientCpu.system) / 1e6).toFixed(2),
    server_rss_mb_loaded: rssLoaded, server_rss_mb_after_leave: rssAfter, settle_s: SETTLE,
  }))
} finally {
  for (const r of repos) await r.shutdown().catch(() => {})
  await server.stop()
}
