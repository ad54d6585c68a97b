/**
 * Where a keystroke's time goes in a 600,000-character room (issue 16 goal 1): two
 * Chromium windows with the Pairpad client, the first types 60 characters in the middle
 * (one per 150 ms), and one of them (WHO=alice: the typist; default the receiver) is
 * profiled: a V8 CPU profile (self and inclusive time by function, and the callers of a
 * few hot ones) and a trace's devtools.timeline events (paint, layout, idle callbacks).
 * Not a test; figures in BENCHMARKS.md ("Long files in the browser: where a keystroke's
 * time goes"). Run from client/ after `make build`:
 *
 *   node --import tsx e2e/profileLongFile.ts          # receiver
 *   WHO=alice node --import tsx e2e/profileLongFile.ts
 *   KEYS=40 EARLY_MS=1800 node --import tsx e2e/profileLongFile.ts   # first 12 keys vs the rest
 *
 * Env: KEYS (default 60, one per 150 ms), SETTLE_MS (profile this long before the first key),
 * EARLY_MS (split the figures into the first EARLY_MS of typing and the rest, and list the
 * first window's long tasks and busy runs), DEPTH_FROM (outermost frame shown for the
 * longest run's stacks, default 1), TRACE_CATEGORIES (default "toplevel,devtools.timeline,v8").
 */
import * as A from "@automerge/automerge"
import { Repo, type AutomergeUrl, type DocHandle } from "@automerge/automerge-repo"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"
import { createRoom, launchBrowser, newPerson, openRoom, ownerToken, placeCaret, startServer } from "./harness"

const server = await startServer({ name: "prof", env: { LOG_LEVEL: "warn" } })
try {
  const roomId = await createRoom(server.url, "typescript")
  const wsUrl = server.url.replace(/^http/, "ws") + `/ws/${roomId}?token=${encodeURIComponent(ownerToken(roomId))}`
  const repo = new Repo({ network: [new WebSocketClientAdapter(wsUrl)], sharePolicy: async () => true })
  const handle = (await repo.find(`automerge:${roomId}` as AutomergeUrl)) as DocHandle<{ content: string }>
  let text = ""
  for (let i = 0; text.length < 600000; i++) text += `export function step${i}(input: number[]): number { return input.reduce((a, b) => a + b * ${i % 97}, 0) } // ${i}\n`
  text = text.slice(0, 600000)
  for (let off = 0; off < text.length; off += 65536) handle.change(d => A.splice(d, ["content"], off, 0, text.slice(off, off + 65536)))
  for (;;) {
    const r = await fetch(`${server.url}/rooms/${roomId}/text`, { headers: { Authorization: `Bearer ${ownerToken(roomId)}` } })
    if (r.ok && (await r.text()).length === text.length) break
    await new Promise(r => setTimeout(r, 1000))
  }
  await repo.shutdown()
  const browser = await launchBrowser()
  const alice = await newPerson(browser, "Alice")
  const bob = await newPerson(browser, "Bob")
  await openRoom(alice, server.url, roomId)
  await openRoom(bob, server.url, roomId)
  for (const p of [alice.page, bob.page]) await p.waitForFunction(n => window.__pairpad?.text().length === n, text.length, { timeout: 120000 })
  const caret = Math.floor(text.length / 2)
  await placeCaret(alice.page, caret)
  await bob.page.evaluate(p => window.__pairpad!.view.dispatch({ selection: { anchor: p }, scrollIntoView: true }), caret)
  const who = process.env.WHO === "alice" ? alice.page : bob.page
  const cdp = await who.context().newCDPSession(who)
  const events: any[] = []
  cdp.on("Tracing.dataCollected", (d: any) => events.push(...d.value))
  const traceDone = new Promise<void>(r => cdp.once("Tracing.tracingComplete", () => r()))
  await cdp.send("Tracing.start", { categories: process.env.TRACE_CATEGORIES ?? "toplevel,devtools.timeline,v8", transferMode: "ReportEvents" })
  await cdp.send("Profiler.enable")
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 })
  await cdp.send("Profiler.start")
  // SETTLE_MS: profile this long before typing (default 0: type at once, as npm run measure
  // does); the windows below start at the first key
  const settle = Number(process.env.SETTLE_MS ?? 0)
  await new Promise(r => setTimeout(r, settle))
  const keys = Number(process.env.KEYS ?? 60)
  for (let i = 0; i < keys; i++) {
    const t0 = Date.now()
    await alice.page.keyboard.press("abcdefghijklmnopqrstuvwxyz"[i % 26])
    const w = 150 - (Date.now() - t0)
    if (w > 0) await new Promise(r => setTimeout(r, w))
  }
  await new Promise(r => setTimeout(r, 1000))
  const { profile } = (await cdp.send("Profiler.stop")) as any
  await cdp.send("Tracing.end")
  await traceDone
  const durBy = new Map<string, number>()
  for (const e of events) if (e.ph === "X" && typeof e.dur === "number" && e.tid) durBy.set(e.name, (durBy.get(e.name) ?? 0) + e.dur)
  console.log("--- trace X events (ms, inclusive, may nest)")
  ;[...durBy].sort((a, b) => b[1] - a[1]).slice(0, 25).forEach(([k, v]) => console.log((v / 1000).toFixed(1), k))
  const byId = new Map<number, any>(profile.nodes.map((n: any) => [n.id, n]))
  const self = new Map<number, number>()
  const dt: number[] = profile.timeDeltas
  profile.samples.forEach((id: number, i: number) => self.set(id, (self.get(id) ?? 0) + (dt[i] ?? 0)))
  // self time by function, and inclusive by function
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const selfBy = new Map<string, number>(), incl = new Map<string, number>()
  const name = (n: any) => `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber}`
  const add = (m: Map<string, number>, k: string, t: number) => m.set(k, (m.get(k) ?? 0) + t)
  /** adds `t` to every function on sample `id`'s stack, once per function */
  const addInclusive = (m: Map<string, number>, id: number, t: number) => {
    const seen = new Set<string>()
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = name(byId.get(cur))
      if (!seen.has(k)) add(m, k, t)
      seen.add(k)
    }
  }
  for (const [id, t] of self) {
    add(selfBy, name(byId.get(id)), t)
    addInclusive(incl, id, t)
  }
  // EARLY_MS: self time in the profile's first EARLY_MS against the rest, per 150 ms key
  const early = Number(process.env.EARLY_MS ?? 0)
  if (early > 0) {
    const win = [new Map<string, number>(), new Map<string, number>()]
    let at = 0
    profile.samples.forEach((id: number, i: number) => {
      at += dt[i] ?? 0
      if (at < settle * 1000) return
      const m = win[at < (settle + early) * 1000 ? 0 : 1]
      add(m, name(byId.get(id)), dt[i] ?? 0)
    })
    const span = [early, keys * 150 + 1000 - early]
    // the trace's events by name in the same two windows (inclusive, may nest)
    const tw = [new Map<string, number>(), new Map<string, number>()]
    for (const e of events) {
      if (e.ph !== "X" || typeof e.dur !== "number" || e.ts < profile.startTime + settle * 1000) continue
      const m = tw[e.ts < profile.startTime + (settle + early) * 1000 ? 0 : 1]
      add(m, e.name, e.dur)
    }
    // the first window's long tasks on the page's main thread, with what ran inside them
    const mains = new Set(events.filter(e => e.name === "thread_name" && e.args?.name === "CrRendererMain").map(e => e.tid))
    const t0 = profile.startTime + settle * 1000
    const tasks = events.filter(e => mains.has(e.tid) && String(e.name).endsWith("RunTask") && e.dur > 30_000 && e.ts >= t0 && e.ts < t0 + early * 1000)
    for (const task of tasks.sort((a, b) => a.ts - b.ts)) {
      const inside = new Map<string, number>()
      for (const e of events)
        if (e.tid === task.tid && e.ph === "X" && e.ts >= task.ts && e.ts < task.ts + task.dur && e !== task && !String(e.name).endsWith("RunTask"))
          add(inside, e.name, e.dur)
      const top = [...inside].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `${k} ${(v / 1000).toFixed(0)}`)
      console.log(`long task, renderer ${task.tid}, at +${((task.ts - t0) / 1000).toFixed(0)} ms: ${(task.dur / 1000).toFixed(0)} ms: ${top.join(", ")}`)
    }
    // the profiled page's busy runs over 30 ms in the first window: inclusive time by function
    {
      const runs: { start: number; end: number; ids: number[] }[] = []
      let t = 0
      let cur: { start: number; end: number; ids: number[] } | null = null
      profile.samples.forEach((id: number, i: number) => {
        t += dt[i] ?? 0
        const idle = byId.get(id).callFrame.functionName === "(idle)"
        if (t < settle * 1000 || t >= (settle + early) * 1000 || idle) {
          if (cur) runs.push(cur)
          cur = null
          return
        }
        if (!cur) cur = { start: t, end: t, ids: [] }
        cur.end = t
        cur.ids.push(id)
      })
      if (cur) runs.push(cur)
      const long = runs.filter(r => r.end - r.start > 30_000)
      const inclLong = new Map<string, number>()
      const selfLong = new Map<string, number>()
      let sampled = 0
      for (const r of long)
        for (const id of r.ids) {
          sampled++
          add(selfLong, name(byId.get(id)), 1)
          addInclusive(inclLong, id, 1)
        }
      console.log(`--- busy runs over 30 ms in the first window: ${long.map(r => ((r.end - r.start) / 1000).toFixed(0)).join(", ")} ms; share of their samples by function (inclusive)`)
      ;[...inclLong].sort((a, b) => b[1] - a[1]).slice(0, 40).forEach(([k, v]) => console.log(((v / sampled) * 100).toFixed(0) + "%", k))
      // the longest run's stacks, outermost frames first
      const longest = long.sort((a, b) => b.end - b.start - (a.end - a.start))[0]
      if (longest) {
        const chains = new Map<string, number>()
        for (const id of longest.ids) {
          const names: string[] = []
          for (let c: number | undefined = id; c !== undefined; c = parent.get(c)) names.unshift(byId.get(c).callFrame.functionName || "(anon)")
          const from = Number(process.env.DEPTH_FROM ?? 1)
          add(chains, names.slice(from, from + 8).join(" > "), 1)
        }
        console.log(`--- longest run (${((longest.end - longest.start) / 1000).toFixed(0)} ms), stacks by share`)
        ;[...chains].sort((a, b) => b[1] - a[1]).slice(0, 12).forEach(([k, v]) => console.log(((v / longest.ids.length) * 100).toFixed(0) + "%", k))
      }
      console.log("--- same, self")
      ;[...selfLong].sort((a, b) => b[1] - a[1]).slice(0, 20).forEach(([k, v]) => console.log(((v / sampled) * 100).toFixed(0) + "%", k))
    }
    tw.forEach((m, w) => {
      console.log(`--- trace, ${w ? "after" : "first"} ${span[w]} ms (ms per 150 ms)`)
      ;[...m].sort((a, b) => b[1] - a[1]).slice(0, 18).forEach(([k, v]) => console.log(((v / 1000 / span[w]) * 150).toFixed(2), k))
    })
    win.forEach((m, w) => {
      const sum = [...m].filter(([k]) => !k.startsWith("(idle)")).reduce((a, [, v]) => a + v, 0)
      console.log(`--- self, ${w ? "after" : "first"} ${span[w]} ms: busy ${(sum / 1000).toFixed(0)} ms, ${((sum / 1000 / span[w]) * 150).toFixed(1)} ms per 150 ms`)
      ;[...m].sort((a, b) => b[1] - a[1]).slice(0, 20).forEach(([k, v]) => console.log((v / 1000).toFixed(1), k))
    })
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  console.log("total sampled ms", (total / 1000).toFixed(0))
  console.log("--- self");
  [...selfBy].sort((a, b) => b[1] - a[1]).slice(0, 25).forEach(([k, v]) => console.log((v / 1000).toFixed(1), k))
  console.log("--- inclusive");
  [...incl].sort((a, b) => b[1] - a[1]).slice(0, 45).forEach(([k, v]) => console.log((v / 1000).toFixed(1), k))
  for (const target of ["languageDataAt", "advance", "work", "(program)"]) {
    const chains = new Map<string, number>()
    for (const [id, t] of self) {
      const names: string[] = []
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) names.push(byId.get(cur).callFrame.functionName || "(anon)")
      const i = names.indexOf(target)
      if (i < 0) continue
      const key = names.slice(i, i + 9).join(" < ")
      chains.set(key, (chains.get(key) ?? 0) + t)
    }
    console.log("=== callers of", target)
    ;[...chains].sort((a, b) => b[1] - a[1]).slice(0, 4).forEach(([k, v]) => console.log((v / 1000).toFixed(1), k))
  }
  await browser.close()
} finally { await server.stop(); server.cleanup() }
