// Scale-out (issue 11): three real Pairpad binaries sharing one PostgreSQL
// database (TEST_DATABASE_URL) and the machine's Redis (TEST_REDIS_URL), one
// stock automerge-repo client on each. Channel names carry a prefix unique
// to this run (REDIS_PREFIX): pub/sub channels are shared by every Redis
// database number.
import { test, before, after } from "node:test"
import assert from "node:assert/strict"
import net from "node:net"
import crypto from "node:crypto"
import * as A from "@automerge/automerge"
import { Repo } from "@automerge/automerge-repo"
import { BrowserWebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"
import { startServer, createRoom, until, sleep, shutdownRepos } from "./harness.mjs"

const DATABASE_URL = process.env.TEST_DATABASE_URL
const REDIS_URL = process.env.TEST_REDIS_URL
const HEADS_MS = 300
const run = crypto.randomBytes(5).toString("hex")
const clientName = i => `pairpad-conf-${run}-${i}`

function redisURLFor(i) {
  const u = new URL(REDIS_URL)
  u.searchParams.set("client_name", clientName(i))
  return u.toString()
}

let servers = []
const repos = []
const proxies = []

before(async () => {
  if (!DATABASE_URL || !REDIS_URL) {
    throw new Error(`the scale-out test needs TEST_DATABASE_URL (PostgreSQL, now ${DATABASE_URL ? "set" : "unset"}) and TEST_REDIS_URL (Redis, now ${REDIS_URL ? "set" : "unset"}); make test sets both`)
  }
  servers = await Promise.all([0, 1, 2].map(i => startServer({
    DATABASE_URL, REDIS_URL: redisURLFor(i), REDIS_PREFIX: `pairpad-conf-${run}:`,
    HEADS_INTERVAL: `${HEADS_MS}ms`, LOG_INTERVAL: "100ms", SPILL_DIR: "",
  })))
})

after(async () => {
  await shutdownRepos(repos)
  for (const p of proxies) p.close()
  await Promise.all(servers.map(s => s.stop()))
})

// A loopback TCP balancer: each new connection goes to the first target
// that accepts it, as a load balancer with health checks would send a
// client to a live instance.
async function failoverProxy(ports) {
  const sockets = new Set()
  const srv = net.createServer(client => {
    sockets.add(client)
    client.pause()
    const tryAt = i => {
      if (i >= ports.length) { client.destroy(); return }
      const up = net.connect(ports[i], "127.0.0.1")
      up.once("error", () => { up.destroy(); tryAt(i + 1) })
      up.once("connect", () => {
        sockets.add(up)
        up.removeAllListeners("error")
        client.pipe(up)
        up.pipe(client)
        client.resume()
        const end = () => { client.destroy(); up.destroy() }
        client.on("close", end).on("error", end)
        up.on("close", end).on("error", end)
      })
    }
    tryAt(0)
  })
  await new Promise(r => srv.listen(0, "127.0.0.1", r))
  const p = { port: srv.address().port, close: () => { for (const s of sockets) s.destroy(); srv.close() } }
  proxies.push(p)
  return p
}

async function open(room, port, retryMs = 200) {
  const repo = new Repo({ network: [new BrowserWebSocketClientAdapter(`ws://127.0.0.1:${port}/ws/${room}`, retryMs)] })
  repos.push(repo)
  return repo.find(`automerge:${room}`)
}

const text = async (s, room) => {
  const r = await fetch(`${s.base}/rooms/${room}/text`)
  if (!r.ok) throw new Error(`GET /rooms/${room}/text on :${s.port}: ${r.status}`)
  return r.text()
}

async function metric(s, name) {
  const body = await (await fetch(`${s.base}/metrics`)).text()
  const m = body.match(new RegExp(`^${name} (\\S+)$`, "m"))
  return m ? Number(m[1]) : NaN
}

// Every client types n marked keystrokes ("<tag.k>") at the start of its text,
// all at once, yielding between keystrokes so that sync runs meanwhile.
async function typeAll(handles, tags, n, onStep) {
  await Promise.all(handles.map(async (h, i) => {
    for (let k = 0; k < n; k++) {
      h.change(d => A.splice(d, ["content"], 0, 0, `<${tags[i]}.${k}>`))
      await onStep?.(i, k)
      await sleep(2)
    }
  }))
}

function missing(s, tags, n) {
  for (const t of tags) for (let k = 0; k < n; k++) if (!s.includes(`<${t}.${k}>`)) return `<${t}.${k}>`
  return ""
}

// A minimal RESP client: enough for CLIENT LIST and CLIENT KILL.
async function redisCommand(...args) {
  const u = new URL(REDIS_URL)
  const sock = net.connect(Number(u.port || 6379), u.hostname || "127.0.0.1")
  await new Promise((res, rej) => { sock.once("connect", res); sock.once("error", rej) })
  const send = a => sock.write(`*${a.length}\r\n` + a.map(x => `$${Buffer.byteLength(String(x))}\r\n${x}\r\n`).join(""))
  let buf = Buffer.alloc(0)
  const reply = () => new Promise((res, rej) => {
    const tryParse = () => {
      const nl = buf.indexOf("\r\n")
      if (nl < 0) return false
      const head = buf.subarray(0, nl).toString()
      if (head[0] === "-") { rej(new Error(`redis: ${head.slice(1)}`)); return true }
      if (head[0] === "$") {
        const len = Number(head.slice(1))
        if (len < 0) { res(null); return true }
        if (buf.length < nl + 2 + len + 2) return false
        res(buf.subarray(nl + 2, nl + 2 + len).toString()); return true
      }
      res(head.slice(1)); return true
    }
    if (tryParse()) return
    const on = d => { buf = Buffer.concat([buf, d]); if (tryParse()) sock.off("data", on) }
    sock.on("data", on)
    sock.once("error", rej)
  })
  try {
    if (u.password) { send(["AUTH", decodeURIComponent(u.password)]); await reply(); buf = Buffer.alloc(0) }
    send(args)
    return await reply()
  } finally { sock.destroy() }
}

// Kills every Redis connection of instance i (its publisher and its
// subscriber), found by the client name only that instance uses.
async function killRedisConnections(i) {
  const list = await redisCommand("CLIENT", "LIST")
  let n = 0
  for (const line of list.split("\n")) {
    if (!line.includes(` name=${clientName(i)} `)) continue
    const id = line.match(/\bid=(\d+)/)?.[1]
    if (id) { await redisCommand("CLIENT", "KILL", "ID", id).catch(() => {}); n++ }
  }
  return n
}

test("three instances, a stock client on each, type concurrently: identical text everywhere; ephemeral messages reach the other two", async () => {
  const room = await createRoom(servers[0].base, "go")
  const hs = await Promise.all(servers.map(s => open(room, s.port)))
  const tags = ["a", "b", "c"], N = 40
  await typeAll(hs, tags, N)
  await until("three clients converge", () => {
    const t = hs[0].doc().content
    return missing(t, tags, N) === "" && hs.every(h => h.doc().content === t)
  }, 20000)
  const want = hs[0].doc().content
  for (const s of servers) {
    await until(`instance :${s.port} serves the same text`, async () => (await text(s, room)) === want)
  }
  assert.ok(await metric(servers[0], "pairpad_redis_published_total") > 0)
  assert.ok(await metric(servers[1], "pairpad_redis_received_total") > 0)

  const got = [null, null, null]
  hs[1].on("ephemeral-message", e => { got[1] = e.message })
  hs[2].on("ephemeral-message", e => { got[2] = e.message })
  hs[0].on("ephemeral-message", e => { got[0] = e.message })
  // Re-sent until delivered (a fresh session's first message may race the joins).
  for (let i = 0; i < 100 && !(got[1] && got[2]); i++) {
    hs[0].broadcast({ cursor: 42, from: "a" })
    await sleep(50)
  }
  assert.deepEqual(got[1], { cursor: 42, from: "a" })
  assert.deepEqual(got[2], { cursor: 42, from: "a" })
  assert.equal(got[0], null, "the sender got its own ephemeral message back")
})

test("kill -9 of one instance mid-typing: its client reconnects to another instance and every keystroke any client holds ends up on every live instance", async () => {
  const room = await createRoom(servers[0].base, "python")
  // Client c reaches instance 2 through a balancer that falls back to instance 1.
  const lb = await failoverProxy([servers[2].port, servers[1].port])
  const hs = [await open(room, servers[0].port), await open(room, servers[1].port), await open(room, lb.port)]
  await until("all three joined", () => hs.every(h => h.doc()?.content === ""))
  const tags = ["ka", "kb", "kc"], N = 60
  let killed = false
  await typeAll(hs, tags, N, async (i, k) => {
    if (i === 2 && k === N / 3 && !killed) {
      killed = true
      const exited = new Promise(r => servers[2].proc.once("exit", r))
      servers[2].proc.kill("SIGKILL")
      await exited
    }
  })
  assert.ok(killed)
  const alive = servers.slice(0, 2)
  await until("every client holds every keystroke", () => {
    const t = hs[0].doc().content
    return missing(t, tags, N) === "" && hs.every(h => h.doc().content === t)
  }, 30000)
  const want = hs[0].doc().content
  for (const s of alive) {
    await until(`live instance :${s.port} serves every keystroke`, async () => (await text(s, room)) === want, 20000)
  }
})

test("an instance cut off from Redis for a while (its connections killed) converges through the heads exchange", async () => {
  const room = await createRoom(servers[0].base, "rust")
  const hs = [await open(room, servers[0].port), await open(room, servers[1].port)]
  await until("both joined", () => hs.every(h => h.doc()?.content === ""))
  const reconnects = await metric(servers[1], "pairpad_redis_reconnects_total")
  const repairsBefore = (await metric(servers[0], "pairpad_broker_repairs_total")) + (await metric(servers[1], "pairpad_broker_repairs_total"))
  const tags = ["la", "lb"], N = 80
  let cut = true, kills = 0
  const cutter = (async () => {
    while (cut) {
      kills += await killRedisConnections(1)
      await sleep(40)
    }
  })()
  const cutStart = Date.now()
  await typeAll(hs, tags, N)
  // The cut lasts at least a second (several heads intervals).
  while (Date.now() - cutStart < 1000) await sleep(20)
  cut = false
  await cutter
  assert.ok(kills > 0, `no Redis connection named ${clientName(1)} found in CLIENT LIST`)
  const t0 = Date.now()
  await until("convergence after the cut", () => {
    const t = hs[0].doc().content
    return missing(t, tags, N) === "" && hs[1].doc().content === t
  }, 20 * HEADS_MS + 10000)
  console.log(`converged ${Date.now() - t0} ms after the Redis cut ended (HEADS_INTERVAL ${HEADS_MS} ms, ${kills} connections killed)`)
  const want = hs[0].doc().content
  for (const s of servers.slice(0, 2)) {
    await until(`instance :${s.port} serves the converged text`, async () => (await text(s, room)) === want)
  }
  assert.ok(await metric(servers[1], "pairpad_redis_reconnects_total") > reconnects, "instance 1's subscription never noticed the cut")
  const repairs = (await metric(servers[0], "pairpad_broker_repairs_total")) + (await metric(servers[1], "pairpad_broker_repairs_total"))
  assert.ok(repairs > repairsBefore, "the instances converged without the heads exchange repairing anything: nothing was lost?")
})
