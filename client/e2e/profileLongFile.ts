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
  await cdp.send("Tracing.start", { categories: "devtools.timeline,v8", transferMode: "ReportEvents" })
  await cdp.send("Profiler.enable")
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 })
  await cdp.send("Profiler.start")
  for (let i = 0; i < 60; i++) {
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
  for (const [id, t] of self) {
    const n = byId.get(id)
    selfBy.set(name(n), (selfBy.get(name(n)) ?? 0) + t)
    const seen = new Set<string>()
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = name(byId.get(cur)); if (seen.has(k)) continue; seen.add(k)
      incl.set(k, (incl.get(k) ?? 0) + t)
    }
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
