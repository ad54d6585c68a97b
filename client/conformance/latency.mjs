// Keystroke-to-peer latency with two stock automerge-repo clients in one
// room of a real Pairpad binary. Usage (from client/):
//   node conformance/latency.mjs [keys=300] [keysPerSecond=8]
// Both clients live in this process, so one clock times send and arrival.
// automerge-repo batches outgoing sync at 10 Hz, which dominates the figure.
import * as A from "@automerge/automerge"
import { startServer, createRoom, connect, sleep, shutdownRepos } from "./harness.mjs"

const keys = Number(process.argv[2] ?? 300)
const rate = Number(process.argv[3] ?? 8)
const server = await startServer()
const repos = []
try {
  const room = await createRoom(server.base, "python")
  const open = () => { const { repo } = connect(server.wsURL(room)); repos.push(repo); return repo.find(`automerge:${room}`) }
  const a = await open()
  const b = await open()
  const sent = new Map()
  const lat = []
  b.on("change", ({ doc }) => {
    const now = performance.now()
    const len = doc.content.length
    for (const [n, t] of sent) {
      if (n <= len) { lat.push(now - t); sent.delete(n) }
    }
  })
  for (let i = 1; i <= keys; i++) {
    a.change(d => A.splice(d, ["content"], i - 1, 0, "x"))
    sent.set(i, performance.now())
    await sleep(1000 / rate)
  }
  const deadline = Date.now() + 5000
  while (sent.size && Date.now() < deadline) await sleep(10)
  lat.sort((x, y) => x - y)
  const q = p => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(1)
  console.log(JSON.stringify({ scenario: "stock-js-2-peers", keys, rate, received: lat.length, lost: sent.size,
    p50_ms: +q(0.5), p95_ms: +q(0.95), p99_ms: +q(0.99), max_ms: +lat[lat.length - 1].toFixed(1) }))
} finally {
  await shutdownRepos(repos)
  await server.stop()
}
