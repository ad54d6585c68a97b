// Shared helpers for the protocol conformance test and the latency script:
// start the real Go binary on a free port with a temporary SQLite database,
// create rooms over REST, connect stock automerge-repo Repos to /ws/{room},
// and count the bytes a client receives through a loopback TCP proxy.
import { spawn } from "node:child_process"
import { mkdtempSync, existsSync, rmSync } from "node:fs"
import net from "node:net"
import os from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { Repo } from "@automerge/automerge-repo"
import { BrowserWebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"

const here = path.dirname(fileURLToPath(import.meta.url))

export function binaryPath() {
  const bin = process.env.PAIRPAD_BIN ?? path.resolve(here, "../../bin/pairpad")
  if (!existsSync(bin)) {
    throw new Error(`Pairpad binary not found at ${bin}: run "go build -o bin/pairpad ./cmd/pairpad" at the repo root or set PAIRPAD_BIN`)
  }
  return bin
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
    srv.on("error", reject)
  })
}

export async function startServer(env = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "pairpad-conf-"))
  const port = await freePort()
  const proc = spawn(binaryPath(), [], {
    // ACCESS=open unless the caller says otherwise: the protocol tests use the
    // room id alone, as before access control (auth.test.mjs runs with links).
    env: { ...process.env, ADDR: `127.0.0.1:${port}`, DATABASE_URL: `sqlite:${path.join(dir, "conf.db")}`, LOG_LEVEL: "warn", CLIENT_DIR: dir, ACCESS: "open", ...env },
    stdio: ["ignore", "inherit", "inherit"],
  })
  const base = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 20000
  for (;;) {
    try {
      const r = await fetch(`${base}/readyz`)
      if (r.ok) break
    } catch {}
    if (proc.exitCode !== null) throw new Error(`pairpad exited with ${proc.exitCode}`)
    if (Date.now() > deadline) throw new Error("pairpad did not become ready")
    await sleep(50)
  }
  return {
    base,
    port,
    proc,
    wsURL: (room, p = port) => `ws://127.0.0.1:${p}/ws/${room}`,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill("SIGTERM")
        await new Promise(r => proc.once("exit", r))
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export async function createRoom(base, language = "typescript") {
  const r = await fetch(`${base}/rooms`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ language }) })
  if (r.status !== 201) throw new Error(`POST /rooms: ${r.status} ${await r.text()}`)
  return (await r.json()).room_id
}

export function connect(url) {
  const adapter = new BrowserWebSocketClientAdapter(url)
  const repo = new Repo({ network: [adapter] })
  return { repo, adapter }
}

// A loopback TCP proxy that counts the bytes flowing from server to client.
export async function countingProxy(targetPort) {
  const stats = { down: 0, up: 0 }
  const sockets = new Set()
  const srv = net.createServer(client => {
    const upstream = net.connect(targetPort, "127.0.0.1")
    sockets.add(client).add(upstream)
    client.on("data", d => { stats.up += d.length; upstream.write(d) })
    upstream.on("data", d => { stats.down += d.length; client.write(d) })
    const end = () => { client.destroy(); upstream.destroy() }
    client.on("close", end).on("error", end)
    upstream.on("close", end).on("error", end)
  })
  await new Promise(r => srv.listen(0, "127.0.0.1", r))
  return {
    port: srv.address().port,
    stats,
    close: () => { for (const s of sockets) s.destroy(); srv.close() },
  }
}

export const sleep = ms => new Promise(r => setTimeout(r, ms))

export async function until(what, cond, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

// Shuts automerge-repo clients down without stray errors after the test.
// The stock WebSocket client adapter removes its error listener and then
// closes its socket; a socket still connecting (a client reconnecting to a
// killed instance) then emits "closed before the connection was
// established" with no listener, which Node reports as an uncaught
// exception. A reconnect it had already scheduled would also open a new
// socket after shutdown. Both are the adapter's, not the server's.
export async function shutdownRepos(repos) {
  for (const r of repos) {
    const adapters = r.networkSubsystem?.adapters ?? []
    for (const a of adapters) a.socket?.on?.("error", () => {})
    await r.shutdown().catch(() => {})
    for (const a of adapters) a.connect = () => {}
  }
}
