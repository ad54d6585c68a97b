/**
 * Measurements for the client (not part of `npm test`): run with `npm run measure`.
 *
 *  1. gzipped size of the built client (dist/)
 *  2. keystroke-to-screen latency between two browsers (>= 200 keystrokes, two typing speeds)
 *  3. time to open a room holding the rustcode editing trace replayed as individual changes,
 *     and the size/kind of the first sync frame the browser receives (fast join check)
 *
 *  4. the playback timeline on the rustcode trace room (MEASURE_ONLY=timeline; not in the
 *     default set): open time and slider-to-text time
 *
 * Editing trace: "rustcode" from Joseph Gentle's editing-traces
 * (github.com/josephg/editing-traces), licensed CC BY 4.0.
 *
 *  2b. the same latency and a fresh browser's open time in a long file (MEASURE_LONG_BYTES,
 *     default 600,000 chars, ~6,000 lines), typing in its middle
 *
 * Env: MEASURE_KEYS (default 250), MEASURE_OPENS (default 5), MEASURE_ONLY (default
 * "latency,longfile,open"), MEASURE_INTERVALS (ms per key, default "150,60"),
 * MEASURE_SETTLE_MS (a pause between opening the pages and the first key, default 0), MEASURE_LONG_LANGUAGE (the long file's language, default "typescript";
 * "plaintext" measures it without a parser), PAIRPAD_BIN, PAIRPAD_CLIENT_DIR, CHROMIUM_PATH.
 * Each latency case starts a fresh browser, so its first keys run cold (JIT, caches): the
 * report also gives the figures without the first WARM_UP_KEYS keys, and the slowest keys.
 * Writes e2e/artifacts/measurements.json and screenshots under e2e/artifacts/.
 */
import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from "node:fs"
import { gzipSync, gunzipSync } from "node:zlib"
import { join } from "node:path"
import * as A from "@automerge/automerge"
import { Repo, cbor, type AutomergeUrl, type DocHandle } from "@automerge/automerge-repo"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"
import type { Page } from "playwright-core"
import { ARTIFACTS, DIST, createRoom, launchBrowser, newPerson, openRoom, ownerToken, placeCaret, roomUrl, startServer, waitForText } from "./harness"

const TRACE = process.env.MEASURE_TRACE ?? join(import.meta.dirname, "../../testdata/traces/rustcode.json.gz")
const KEYS = Number(process.env.MEASURE_KEYS ?? 250)
const OPENS = Number(process.env.MEASURE_OPENS ?? 5)

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  if (!s.length) return NaN
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))
  return s[i]
}
const r1 = (x: number) => Math.round(x * 10) / 10

// ---------- 1. bundle size ----------
function bundleSize() {
  const files: { file: string; raw: number; gzip: number }[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name)
      if (statSync(p).isDirectory()) walk(p)
      else {
        const data = readFileSync(p)
        files.push({ file: p.slice(DIST.length + 1), raw: data.length, gzip: gzipSync(data, { level: 9 }).length })
      }
    }
  }
  walk(DIST)
  const sum = (f: (x: (typeof files)[number]) => boolean, k: "raw" | "gzip") => files.filter(f).reduce((a, x) => a + x[k], 0)
  const isWasm = (x: { file: string }) => x.file.endsWith(".wasm")
  return {
    files,
    totalRaw: sum(() => true, "raw"),
    totalGzip: sum(() => true, "gzip"),
    appGzip: sum(x => !isWasm(x), "gzip"),
    wasmGzip: sum(isWasm, "gzip"),
  }
}

// ---------- 2. latency ----------
async function installLatencyProbes(sender: Page, receiver: Page) {
  // Sender: wall-clock time (sub-ms) of each keydown, in order.
  await sender.evaluate(() => {
    const w = window as unknown as { __keys: number[] }
    w.__keys = []
    document.addEventListener("keydown", () => w.__keys.push(performance.timeOrigin + performance.now()), true)
  })
  // Receiver: when the editor DOM first shows each new document length, and the next frame.
  await receiver.evaluate(() => {
    const w = window as unknown as { __seen: Record<number, number>; __painted: Record<number, number> }
    w.__seen = {}
    w.__painted = {}
    const view = window.__pairpad!.view
    const content = document.querySelector(".cm-content")!
    new MutationObserver(() => {
      const len = view.state.doc.length
      if (w.__seen[len] === undefined) {
        const t = performance.timeOrigin + performance.now()
        w.__seen[len] = t
        requestAnimationFrame(() => (w.__painted[len] = performance.timeOrigin + performance.now()))
      }
    }).observe(content, { childList: true, subtree: true, characterData: true })
  })
}

/**
 * Installed before the page loads: wall-clock times of every WebSocket frame the page
 * sends and of every one it is handed (the first "message" listener runs when the
 * browser dispatches the frame to the page, so a busy main thread shows as a later time).
 */
function wsProbe() {
  const w = window as unknown as { __wsOut: number[]; __wsIn: number[] }
  w.__wsOut = []
  w.__wsIn = []
  const now = () => performance.timeOrigin + performance.now()
  const Orig = window.WebSocket
  class Probed extends Orig {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols)
      this.addEventListener("message", () => w.__wsIn.push(now()))
    }
    send(data: string | ArrayBufferLike | Blob | ArrayBufferView) {
      w.__wsOut.push(now())
      super.send(data)
    }
  }
  window.WebSocket = Probed
}

/** an existing room to type into instead of a new empty one: its text length and where to type */
interface LatencyRoom {
  roomId: string
  baseLength: number
  caret: number
}

async function measureLatency(baseUrl: string, intervalMs: number, keys: number, existing?: LatencyRoom) {
  const browser = await launchBrowser()
  try {
    const room = existing?.roomId ?? (await createRoom(baseUrl, "python"))
    const base = existing?.baseLength ?? 0
    const alice = await newPerson(browser, "Alice")
    const bob = await newPerson(browser, "Bob")
    await alice.page.addInitScript(wsProbe)
    await bob.page.addInitScript(wsProbe)
    await openRoom(alice, baseUrl, room)
    await openRoom(bob, baseUrl, room)
    if (base) {
      for (const p of [alice.page, bob.page]) await p.waitForFunction(n => window.__pairpad?.text().length === n, base, { timeout: 120_000 })
    }
    await placeCaret(alice.page, existing?.caret ?? 0)
    if (existing) {
      // The receiver's probe watches its editor's DOM, which in a long file holds only the
      // lines in view: bring the place being typed at into view there too.
      await bob.page.evaluate(p => {
        window.__pairpad!.view.dispatch({ selection: { anchor: p }, scrollIntoView: true })
        return new Promise(r => requestAnimationFrame(r))
      }, existing.caret)
    }
    await installLatencyProbes(alice.page, bob.page)
    const settle = Number(process.env.MEASURE_SETTLE_MS ?? 0)
    if (settle > 0) await new Promise(r => setTimeout(r, settle))
    const alphabet = "abcdefghijklmnopqrstuvwxyz"
    const started = Date.now()
    for (let i = 0; i < keys; i++) {
      const t0 = Date.now()
      await alice.page.keyboard.press(alphabet[i % alphabet.length])
      const wait = intervalMs - (Date.now() - t0)
      if (wait > 0) await new Promise(r => setTimeout(r, wait))
    }
    const typingMs = Date.now() - started
    await waitForText(bob.page, t => t.length === base + keys, 30_000)
    await new Promise(r => setTimeout(r, 100)) // let the last rAF run
    const keysAt = await alice.page.evaluate(() => (window as unknown as { __keys: number[] }).__keys)
    const { seen, painted } = await bob.page.evaluate(() => {
      const w = window as unknown as { __seen: Record<number, number>; __painted: Record<number, number> }
      return { seen: w.__seen, painted: w.__painted }
    })
    const wsOut = await alice.page.evaluate(() => (window as unknown as { __wsOut: number[] }).__wsOut)
    const wsIn = await bob.page.evaluate(() => (window as unknown as { __wsIn: number[] }).__wsIn)
    const firstAfter = (xs: number[], t: number) => xs.find(x => x >= t) ?? Infinity
    const dom: number[] = []
    const paint: number[] = []
    // where each keystroke's time went: keydown → the typist's next frame out, → the
    // receiver's next frame in (server and wire, and the receiver's queue), → its DOM
    const typist: number[] = []
    const between: number[] = []
    const receiver: number[] = []
    // the first keys one by one, split as above (a fresh browser's first keys are the slowest)
    const firstKeys: KeySplit[] = []
    for (let i = 0; i < keysAt.length; i++) {
      // keystroke i made the doc base+i+1 long; a batched frame may show several at once, so
      // the time key i reached the screen is the first time the length was >= base+i+1.
      let t = Infinity
      let tp = Infinity
      for (const [len, at] of Object.entries(seen)) if (Number(len) >= base + i + 1 && at < t) t = at
      for (const [len, at] of Object.entries(painted)) if (Number(len) >= base + i + 1 && at < tp) tp = at
      if (Number.isFinite(t)) dom.push(t - keysAt[i])
      if (Number.isFinite(tp)) paint.push(tp - keysAt[i])
      const out = firstAfter(wsOut, keysAt[i])
      const got = firstAfter(wsIn, out)
      if (Number.isFinite(t) && got <= t) {
        typist.push(out - keysAt[i])
        between.push(got - out)
        receiver.push(t - got)
        if (i < WARM_UP_KEYS) firstKeys.push({ key: i, dom: r1(t - keysAt[i]), typist: r1(out - keysAt[i]), between: r1(got - out), receiver: r1(t - got) })
      }
    }
    const split = (xs: number[]) => ({ median: r1(pct(xs, 50)), p95: r1(pct(xs, 95)) })
    const stats = (xs: number[]) => ({ ...split(xs), p90: r1(pct(xs, 90)), max: r1(Math.max(...xs)) })
    const warm = dom.slice(WARM_UP_KEYS)
    const slowest = dom
      .map((ms, key) => ({ key, ms: r1(ms) }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 8)
    return {
      intervalMs,
      keystrokes: keysAt.length,
      typingCharsPerSecond: r1((keysAt.length / typingMs) * 1000),
      domMs: stats(dom),
      paintMs: split(paint),
      splitMs: { keys: typist.length, typist: split(typist), between: split(between), receiver: split(receiver) },
      warmDomMs: { keys: warm.length, ...stats(warm) },
      slowest,
      firstKeys,
    }
  } finally {
    await browser.close()
  }
}

// ---------- 2b. long file ----------
const LONG_BYTES = Number(process.env.MEASURE_LONG_BYTES ?? 600_000)

/**
 * A room holding LONG_BYTES of code (~10,000 lines), written by a stock Node client in
 * 64 KB changes (the server applies one large change superlinearly slowly, see
 * BENCHMARKS.md), then checked through the server's /text.
 */
async function buildLongRoom(baseUrl: string) {
  const roomId = await createRoom(baseUrl, process.env.MEASURE_LONG_LANGUAGE ?? "typescript")
  const wsUrl = baseUrl.replace(/^http/, "ws") + `/ws/${roomId}?token=${encodeURIComponent(ownerToken(roomId))}`
  const repo = new Repo({ network: [new WebSocketClientAdapter(wsUrl)], sharePolicy: async () => true })
  const handle = (await repo.find(`automerge:${roomId}` as AutomergeUrl)) as DocHandle<{ content: string }>
  const lines: string[] = []
  for (let i = 0; lines.join("").length < LONG_BYTES; i++) {
    lines.push(`export function step${i}(input: number[]): number { return input.reduce((a, b) => a + b * ${i % 97}, 0) } // ${i}\n`)
  }
  const text = lines.join("").slice(0, LONG_BYTES)
  const t0 = Date.now()
  for (let off = 0; off < text.length; off += 65536) {
    handle.change(d => A.splice(d, ["content"], off, 0, text.slice(off, off + 65536)))
  }
  const deadline = Date.now() + 300_000
  for (;;) {
    try {
      const res = await fetch(`${baseUrl}/rooms/${roomId}/text`, { headers: { Authorization: `Bearer ${ownerToken(roomId)}` } })
      if (res.ok && (await res.text()).length === text.length) break
    } catch {
      // a busy server may drop a slow read (WriteTimeout): ask again
    }
    if (Date.now() > deadline) throw new Error("the server never held the long file")
    await new Promise(r => setTimeout(r, 2000))
  }
  await repo.shutdown()
  return { roomId, length: text.length, lines: lines.length, text, buildMs: Date.now() - t0 }
}

// ---------- 3. long-history room ----------
interface Trace {
  startContent: string
  endContent: string
  txns: { patches: [number, number, string][] }[]
}

/** code-point position → UTF-16 index in s (positions in the traces count code points). */
function cpToUtf16(s: string, cp: number): number {
  let i = 0
  for (let n = 0; n < cp && i < s.length; n++) i += s.codePointAt(i)! > 0xffff ? 2 : 1
  return i
}

async function buildTraceRoom(baseUrl: string) {
  const trace = JSON.parse(gunzipSync(readFileSync(TRACE)).toString()) as Trace
  const roomId = await createRoom(baseUrl, "rust")
  const wsUrl = baseUrl.replace(/^http/, "ws") + `/ws/${roomId}?token=${encodeURIComponent(ownerToken(roomId))}`
  const repo = new Repo({ network: [new WebSocketClientAdapter(wsUrl)], sharePolicy: async () => true })
  const handle = (await repo.find(`automerge:${roomId}` as AutomergeUrl)) as DocHandle<{ content: string }>
  // Each patch becomes its own Automerge change. They are made on a local copy (fast)
  // and handed to the repo in batches, so the server receives them as ordinary sync
  // messages of a few hundred changes each rather than one giant frame.
  let local = A.clone(handle.doc())
  let astral = /[\u{10000}-\u{10FFFF}]/u.test(trace.startContent)
  if (trace.startContent) local = A.change(local, d => A.splice(d, ["content"], 0, 0, trace.startContent))
  let changes = 0
  const t0 = Date.now()
  const flush = async () => {
    const batch = A.clone(local)
    handle.update(d => A.merge(d, batch))
    await new Promise(r => setTimeout(r, 120)) // one automerge-repo sync tick
  }
  for (const txn of trace.txns) {
    for (const [pos, del, ins] of txn.patches) {
      if (!astral && /[\u{10000}-\u{10FFFF}]/u.test(ins)) astral = true
      local = A.change(local, d => {
        const text = d.content
        const from = astral ? cpToUtf16(text, pos) : pos
        const to = astral ? cpToUtf16(text, pos + del) : pos + del
        A.splice(d, ["content"], from, to - from, ins)
      })
      changes++
      if (changes % 1000 === 0) await flush()
    }
  }
  await flush()
  const content = handle.doc().content
  if (content !== trace.endContent) throw new Error("trace replay did not reproduce endContent")
  const replayMs = Date.now() - t0
  // Wait until a fresh peer gets the full text from the server (i.e. the server has it all).
  const deadline = Date.now() + 120_000
  for (;;) {
    const probe = new Repo({ network: [new WebSocketClientAdapter(wsUrl)] })
    try {
      const h = (await probe.find(`automerge:${roomId}` as AutomergeUrl)) as DocHandle<{ content: string }>
      await new Promise(r => setTimeout(r, 300))
      if (h.doc().content === trace.endContent) break
    } catch {
      // not yet
    } finally {
      await probe.shutdown()
    }
    if (Date.now() > deadline) throw new Error("server never reached the trace's final text")
    await new Promise(r => setTimeout(r, 1000))
  }
  const saved = A.save(handle.doc())
  await repo.shutdown()
  return { roomId, changes, replayMs, endLength: trace.endContent.length, endContent: trace.endContent, savedBytes: saved.length, historyChanges: A.getAllChanges(handle.doc()).length }
}

async function measureOpen(baseUrl: string, roomId: string, endContent: string, runs: number) {
  const browser = await launchBrowser()
  const cold: { totalMs: number; shownMs: number; wsToTextMs: number; firstSyncAfterWsMs: number; firstSyncBytes: number; firstSyncVersionByte: string; framesIn: number; bytesIn: number }[] = []
  let warm: number[] = []
  try {
    for (let i = 0; i < runs; i++) {
      const p = await newPerson(browser, "Opener")
      const frames: { t: number; bytes: number; type: string; first: number | null }[] = []
      let wsAt = 0
      p.page.on("websocket", ws => {
        wsAt = Date.now()
        ws.on("framereceived", f => {
          const buf = typeof f.payload === "string" ? Buffer.from(f.payload) : f.payload
          let type = "?"
          let first: number | null = null
          try {
            const m = cbor.decode(new Uint8Array(buf)) as { type?: string; data?: Uint8Array }
            type = String(m.type)
            if (m.data && m.data.length) first = m.data[0]
          } catch {
            // not CBOR
          }
          frames.push({ t: Date.now(), bytes: buf.length, type, first })
        })
      })
      const t0 = Date.now()
      await p.page.goto(roomUrl(baseUrl, roomId))
      // On screen and editable: in the live editor, or in the preview a long room shows
      // while its document loads (editor/preview.ts).
      await p.page.waitForFunction(
        n => window.__pairpad?.text().length === n || window.__pairpadPreview?.view.state.doc.length === n,
        endContent.length,
        { timeout: 60_000, polling: "raf" },
      )
      const tShown = Date.now()
      await p.page.waitForFunction(n => window.__pairpad?.text().length === n, endContent.length, { timeout: 60_000, polling: "raf" })
      const t1 = Date.now()
      if ((await p.page.evaluate(() => window.__pairpad!.text())) !== endContent) throw new Error("opened text differs from the trace")
      const firstSync = frames.find(f => f.type === "sync")
      cold.push({
        totalMs: t1 - t0,
        shownMs: tShown - t0,
        wsToTextMs: t1 - wsAt,
        firstSyncAfterWsMs: firstSync ? firstSync.t - wsAt : -1,
        firstSyncBytes: firstSync?.bytes ?? -1,
        firstSyncVersionByte: firstSync?.first != null ? "0x" + firstSync.first.toString(16) : "?",
        framesIn: frames.length,
        bytesIn: frames.reduce((a, f) => a + f.bytes, 0),
      })
      if (i === 0) {
        await p.page.screenshot({ path: join(ARTIFACTS, "trace-room.png") })
        // Warm: reload (the doc is now in this browser's IndexedDB).
        for (let k = 0; k < 3; k++) {
          const w0 = Date.now()
          await p.page.reload()
          await p.page.waitForFunction(n => window.__pairpad?.text().length === n, endContent.length, { timeout: 60_000, polling: "raf" })
          warm.push(Date.now() - w0)
        }
      }
      await p.context.close()
    }
  } finally {
    await browser.close()
  }
  warm = warm.sort((a, b) => a - b)
  return {
    runs: cold.length,
    coldOpenMs: { median: pct(cold.map(c => c.totalMs), 50), min: Math.min(...cold.map(c => c.totalMs)), max: Math.max(...cold.map(c => c.totalMs)) },
    shownMs: { median: pct(cold.map(c => c.shownMs), 50), min: Math.min(...cold.map(c => c.shownMs)), max: Math.max(...cold.map(c => c.shownMs)) },
    wsToTextMs: { median: pct(cold.map(c => c.wsToTextMs), 50) },
    firstSyncAfterWsMs: { median: pct(cold.map(c => c.firstSyncAfterWsMs), 50) },
    warmReloadMs: { median: pct(warm, 50) },
    firstSync: { bytes: cold[0].firstSyncBytes, versionByte: cold[0].firstSyncVersionByte },
    framesIn: cold[0].framesIn,
    bytesIn: cold[0].bytesIn,
    all: cold,
  }
}

/**
 * The playback timeline on a trace room: time from clicking "Timeline" to the live code on
 * screen, and to the whole timeline ready (every change listed, tracks drawn, the last
 * change's text shown); then, inside the page, the time from moving the slider to that
 * position's text being in the DOM: 20 jumps across the history, and a drag of 120 small
 * steps (one per animation frame, as a pointer drag delivers them).
 */
async function measureTimeline(baseUrl: string, roomId: string, endContent: string, changes: number) {
  const browser = await launchBrowser()
  try {
    const p = await newPerson(browser, "Timekeeper")
    await openRoom(p, baseUrl, roomId)
    await waitForText(p.page, endContent, 60_000)
    const t0 = Date.now()
    await p.page.click('[data-testid="timeline-toggle"]')
    await p.page.waitForFunction(t => document.querySelector('[data-testid="timeline-text"]')?.textContent === t, endContent, { timeout: 120_000 })
    const liveMs = Date.now() - t0
    await p.page.waitForSelector('[data-testid="timeline"][data-ready="true"]', { timeout: 120_000 })
    await p.page.waitForFunction(t => document.querySelector('[data-testid="timeline-text"]')?.textContent === t, endContent, { timeout: 120_000 })
    const openMs = Date.now() - t0
    const jumps = Array.from({ length: 20 }, (_, k) => Math.floor((changes * (k + 1)) / 21))
    const start = Math.floor(changes / 2)
    const drag = Array.from({ length: 120 }, (_, k) => start + k * 7)
    const moves = await p.page.evaluate(
      async ({ jumps, drag }) => {
        const slider = document.querySelector('[data-testid="timeline-slider"]') as HTMLInputElement
        const text = document.querySelector('[data-testid="timeline-text"]') as HTMLElement
        const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value")!.set!
        const frame = () => new Promise<void>(r => requestAnimationFrame(() => r()))
        const move = async (pos: number) => {
          const before = text.textContent
          const t0 = performance.now()
          setter.call(slider, String(pos))
          slider.dispatchEvent(new Event("input", { bubbles: true }))
          for (let k = 0; k < 600 && text.textContent === before; k++) await frame()
          const took = performance.now() - t0
          await frame()
          return took
        }
        const j: number[] = []
        for (const pos of jumps) j.push(await move(pos))
        const d: number[] = []
        for (const pos of drag) d.push(await move(pos))
        return { jumps: j, drag: d }
      },
      { jumps, drag },
    )
    const stat = (xs: number[]) => ({ median: Math.round(pct(xs, 50) * 10) / 10, p95: Math.round(pct(xs, 95) * 10) / 10, max: Math.round(Math.max(...xs) * 10) / 10 })
    return { liveMs, openMs, jumpMs: stat(moves.jumps), dragMs: stat(moves.drag) }
  } finally {
    await browser.close()
  }
}

/** typing intervals measured, ms per key (MEASURE_INTERVALS, comma-separated) */
const INTERVALS = (process.env.MEASURE_INTERVALS ?? "150,60").split(",").map(Number)

/** keys at the start of each latency case left out of `warmDomMs` */
const WARM_UP_KEYS = 20

function warmLine(w: { keys: number; median: number; p90: number; p95: number; max: number }, slowest: { key: number; ms: number }[]) {
  return `without the first ${WARM_UP_KEYS} keys (${w.keys}): median ${w.median} ms, p90 ${w.p90} ms, p95 ${w.p95} ms, max ${w.max} ms; slowest keys ${slowest.map(s => `#${s.key} ${s.ms} ms`).join(", ")}`
}

/** one keystroke's latency, split as in measureLatency, ms */
interface KeySplit {
  key: number
  dom: number
  typist: number
  between: number
  receiver: number
}

function firstKeysLine(keys: KeySplit[]) {
  return `first keys (keydown→DOM = typist + between + receiver): ${keys.map(k => `#${k.key} ${k.dom} = ${k.typist}+${k.between}+${k.receiver}`).join(", ")}`
}

function splitLine(s: { keys: number; typist: { median: number; p95: number }; between: { median: number; p95: number }; receiver: { median: number; p95: number } }) {
  const f = (x: { median: number; p95: number }) => `median ${x.median} / p95 ${x.p95} ms`
  return `split of ${s.keys} keys: keydown→typist's frame out ${f(s.typist)}; →receiver's frame in ${f(s.between)}; →receiver's DOM ${f(s.receiver)}`
}

async function main() {
  mkdirSync(ARTIFACTS, { recursive: true })
  const results: Record<string, unknown> = {}
  const b = bundleSize()
  results.bundle = b
  console.log(`bundle: total ${(b.totalRaw / 1024).toFixed(0)} KiB raw, ${(b.totalGzip / 1024).toFixed(0)} KiB gzip (app JS+CSS+HTML ${(b.appGzip / 1024).toFixed(0)} KiB, automerge wasm ${(b.wasmGzip / 1024).toFixed(0)} KiB)`)

  const server = await startServer({ name: "measure", env: { LOG_LEVEL: "warn" } })
  try {
    const only = process.env.MEASURE_ONLY ?? "latency,longfile,open"
    for (const interval of only.includes("latency") ? INTERVALS : []) {
      const lat = await measureLatency(server.url, interval, KEYS)
      results[`latency_${interval}ms`] = lat
      console.log(
        `latency (${lat.keystrokes} keys, one every ${interval} ms ≈ ${lat.typingCharsPerSecond} chars/s): keydown→peer DOM median ${lat.domMs.median} ms, p95 ${lat.domMs.p95} ms; →next frame median ${lat.paintMs.median} ms, p95 ${lat.paintMs.p95} ms`,
      )
      console.log(`  ${splitLine(lat.splitMs)}`)
      console.log(`  ${warmLine(lat.warmDomMs, lat.slowest)}`)
    }
    if (only.includes("longfile")) {
      const long = await buildLongRoom(server.url)
      console.log(`long file: room ${long.roomId}, ${long.length} chars, ${long.lines} lines, on the server after ${long.buildMs} ms`)
      const open = await measureOpen(server.url, long.roomId, long.text, OPENS)
      results.longfileOpen = open
      console.log(`long file open, room not loaded in the server (fresh browser profile each, ${open.runs} runs): navigation→text on screen median ${open.shownMs.median} ms (min ${open.shownMs.min}, max ${open.shownMs.max}); →document loaded median ${open.coldOpenMs.median} ms (min ${open.coldOpenMs.min}, max ${open.coldOpenMs.max}); first sync frame ${open.firstSync.bytes} bytes, version byte ${open.firstSync.versionByte}`)
      for (const interval of INTERVALS) {
        const lat = await measureLatency(server.url, interval, KEYS, { roomId: long.roomId, baseLength: long.length, caret: Math.floor(long.length / 2) })
        long.length += lat.keystrokes // the next run opens the room with these in it
        results[`longfile_latency_${interval}ms`] = lat
        console.log(
          `long file latency (${lat.keystrokes} keys in the middle, one every ${interval} ms): keydown→peer DOM median ${lat.domMs.median} ms, p90 ${lat.domMs.p90} ms, p95 ${lat.domMs.p95} ms, max ${lat.domMs.max} ms`,
        )
        console.log(`  ${splitLine(lat.splitMs)}`)
        console.log(`  ${warmLine(lat.warmDomMs, lat.slowest)}`)
        console.log(`  ${firstKeysLine(lat.firstKeys)}`)
      }
    }
    if (only.includes("timeline")) {
      console.log("replaying rustcode trace (Joseph Gentle's editing-traces, CC BY 4.0) into a room for the timeline…")
      const room = await buildTraceRoom(server.url)
      const tl = await measureTimeline(server.url, room.roomId, room.endContent, room.historyChanges)
      results.timeline = { changes: room.historyChanges, ...tl }
      console.log(
        `timeline on ${room.historyChanges} changes: click → live code ${tl.liveMs} ms, → timeline ready ${tl.openMs} ms; ` +
          `slider jump → text in the DOM median ${tl.jumpMs.median} ms, p95 ${tl.jumpMs.p95} ms, max ${tl.jumpMs.max} ms; ` +
          `drag step median ${tl.dragMs.median} ms, p95 ${tl.dragMs.p95} ms, max ${tl.dragMs.max} ms`,
      )
    }
    if (only.includes("open")) {
      console.log("replaying rustcode trace (Joseph Gentle's editing-traces, CC BY 4.0) into a room, one change per patch…")
      const room = await buildTraceRoom(server.url)
      results.traceRoom = { ...room, endContent: undefined }
      console.log(`trace room ${room.roomId}: ${room.changes} changes (${room.historyChanges} in history) replayed in ${room.replayMs} ms; ${room.endLength} chars; saved doc ${room.savedBytes} bytes`)
      for (const hot of [false, true]) {
        // hot: another peer keeps the room loaded in the server (opening a room people are in);
        // cold: nobody is in it, so the server loads it from the database first.
        let anchor: Repo | null = null
        if (hot) {
          anchor = new Repo({ network: [new WebSocketClientAdapter(server.url.replace(/^http/, "ws") + `/ws/${room.roomId}`)] })
          await anchor.find(`automerge:${room.roomId}` as AutomergeUrl)
        }
        const open = await measureOpen(server.url, room.roomId, room.endContent, OPENS)
        await anchor?.shutdown()
        const label = hot ? "room loaded in the server" : "room not loaded in the server"
        results[hot ? "traceOpenHot" : "traceOpenCold"] = open
        console.log(
          `open, ${label} (fresh browser profile each, ${open.runs} runs): navigation→text on screen median ${open.shownMs.median} ms; →document loaded median ${open.coldOpenMs.median} ms (min ${open.coldOpenMs.min}, max ${open.coldOpenMs.max}); socket→text median ${open.wsToTextMs.median} ms; first sync frame after ${open.firstSyncAfterWsMs.median} ms; reload with IndexedDB copy median ${open.warmReloadMs.median} ms`,
        )
        console.log(`  first sync frame: ${open.firstSync.bytes} bytes, sync message version byte ${open.firstSync.versionByte} (0x43 = v2 fast join); ${open.framesIn} frames / ${open.bytesIn} bytes received in total during the open`)
      }
    }
  } finally {
    await server.stop()
    server.cleanup()
  }
  writeFileSync(join(ARTIFACTS, "measurements.json"), JSON.stringify(results, null, 2))
  console.log(`written ${join(ARTIFACTS, "measurements.json")}; screenshots in ${ARTIFACTS}`)
}

main().catch(e => {
  console.error(e)
  process.exit(1)
})
