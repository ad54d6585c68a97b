// How long Automerge JS takes to apply one remote single-character change to a long
// text, the cost every keystroke of a partner has in the browser (issue: long files).
// Compares the Automerge 3 the Node tests use (@automerge/automerge) with the 2.2 line
// the browser bundle uses (automerge-v2, see vite.config.ts).
//
//   cd client && node scripts/receiveBench.mjs [sizes...]     (default 60000 600000)
import * as A3 from "@automerge/automerge"
import * as A2 from "automerge-v2/next"

const sizes = process.argv.slice(2).map(Number)
const SAMPLES = 20

function measure(A, size) {
  const line = "export function step(input: number[]): number { return input.length } // code\n"
  const text = line.repeat(Math.ceil(size / line.length)).slice(0, size)
  let base = A.from({ content: "" })
  for (let off = 0; off < text.length; off += 65536) base = A.change(base, d => A.splice(d, ["content"], off, 0, text.slice(off, off + 65536)))
  const bytes = A.save(base)
  let a = A.load(bytes)
  let b = A.load(bytes)
  let sa = A.initSyncState()
  let sb = A.initSyncState()
  const exchange = () => {
    for (let i = 0; i < 10; i++) {
      let m, n
      ;[sa, m] = A.generateSyncMessage(a, sa)
      if (m) [b, sb] = A.receiveSyncMessage(b, sb, m)
      ;[sb, n] = A.generateSyncMessage(b, sb)
      if (n) [a, sa] = A.receiveSyncMessage(a, sa, n)
      if (!m && !n) return
    }
  }
  exchange()
  const times = []
  for (let k = 0; k < SAMPLES; k++) {
    a = A.change(a, d => A.splice(d, ["content"], Math.floor(size / 2) + k, 0, "x"))
    let m
    ;[sa, m] = A.generateSyncMessage(a, sa)
    const t0 = performance.now()
    ;[b, sb] = A.receiveSyncMessage(b, sb, m)
    times.push(performance.now() - t0)
    exchange()
  }
  if (b.content !== a.content) throw new Error("did not converge")
  times.sort((x, y) => x - y)
  return { p50: times[Math.floor(SAMPLES / 2)], p90: times[Math.floor(SAMPLES * 0.9)] }
}

for (const size of sizes.length ? sizes : [60000, 600000]) {
  for (const [name, A] of [["automerge 2.2 (browser bundle)", A2], ["automerge 3 (@automerge/automerge)", A3]]) {
    const r = measure(A, size)
    console.log(`${String(size).padStart(7)} chars  ${name.padEnd(36)} receive one remote keystroke: p50 ${r.p50.toFixed(1)} ms, p90 ${r.p90.toFixed(1)} ms`)
  }
}
