/**
 * End-to-end harness: starts the real Go binary on a free loopback port with a fresh
 * SQLite database and the built client, and drives Debian's Chromium with playwright-core.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { connect as tcpConnect, createServer, type Socket } from "node:net"
import { existsSync, mkdirSync, mkdtempSync, createWriteStream, rmSync, type WriteStream } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core"

const here = dirname(fileURLToPath(import.meta.url))
export const CLIENT_ROOT = resolve(here, "..")
export const ARTIFACTS = join(CLIENT_ROOT, "e2e", "artifacts")
export const BIN = resolve(CLIENT_ROOT, process.env.PAIRPAD_BIN ?? "../bin/pairpad")
export const DIST = resolve(CLIENT_ROOT, process.env.PAIRPAD_CLIENT_DIR ?? "dist")
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"

export function checkPrerequisites() {
  const missing: string[] = []
  if (!existsSync(BIN)) missing.push(`server binary not found at ${BIN} (build it: cd .. && go build -o bin/pairpad ./cmd/pairpad, or set PAIRPAD_BIN)`)
  if (!existsSync(join(DIST, "index.html"))) missing.push(`built client not found at ${DIST}/index.html (run: npm run build)`)
  if (!existsSync(CHROMIUM)) missing.push(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`)
  if (missing.length) throw new Error("e2e prerequisites missing:\n  - " + missing.join("\n  - "))
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on("error", reject)
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address()
      const port = typeof addr === "object" && addr ? addr.port : 0
      srv.close(() => resolvePort(port))
    })
  })
}

const children = new Set<ChildProcess>()
function killAll() {
  for (const c of children) {
    try {
      c.kill("SIGKILL")
    } catch {
      // already gone
    }
  }
}
process.on("exit", killAll)
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    killAll()
    process.exit(130)
  })
}

export interface ServerHandle {
  url: string
  port: number
  dbPath: string
  /** SIGTERM (graceful: final save) and wait for exit */
  stop(): Promise<number | null>
  /** start again on the same port and database */
  start(): Promise<void>
  logPath: string
  cleanup(): void
}

/**
 * A loopback TCP proxy in front of the server whose WebSocket connections (`GET /ws/…`)
 * reach the server only after `delayMs` (a slow network or a busy server), while pages and
 * REST calls pass at once. Open pages at `url` instead of the server's.
 */
export async function slowSocketProxy(targetPort: number, delayMs: number): Promise<{ url: string; close(): void }> {
  const sockets = new Set<Socket>()
  const srv = createServer(client => {
    sockets.add(client)
    const pending: Buffer[] = []
    let upstream: Socket | null = null
    const open = () => {
      upstream = tcpConnect(targetPort, "127.0.0.1")
      sockets.add(upstream)
      for (const b of pending.splice(0)) upstream.write(b)
      upstream.on("data", d => client.write(d))
      const end = () => {
        client.destroy()
        upstream?.destroy()
      }
      upstream.on("close", end).on("error", end)
    }
    client.on("data", d => {
      if (upstream) return void upstream.write(d)
      const first = pending.length === 0
      pending.push(d)
      if (first) {
        if (d.subarray(0, 8).toString() === "GET /ws/") setTimeout(() => !client.destroyed && open(), delayMs)
        else open()
      }
    })
    client.on("close", () => upstream?.destroy()).on("error", () => upstream?.destroy())
  })
  await new Promise<void>(r => srv.listen(0, "127.0.0.1", r))
  const port = (srv.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      for (const s of sockets) s.destroy()
      srv.close()
    },
  }
}

async function waitForHttp(url: string, timeoutMs: number, proc: ChildProcess, log: () => string) {
  const deadline = Date.now() + timeoutMs
  let lastErr: unknown
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`pairpad exited with code ${proc.exitCode} during start:\n${log()}`)
    try {
      const res = await fetch(url)
      if (res.status < 500) return
      lastErr = new Error(`HTTP ${res.status}`)
    } catch (e) {
      lastErr = e
    }
    await new Promise(r => setTimeout(r, 100))
  }
  throw new Error(`pairpad did not answer at ${url} within ${timeoutMs} ms (${String(lastErr)}):\n${log()}`)
}

export async function startServer(opts: { env?: Record<string, string>; name?: string } = {}): Promise<ServerHandle> {
  const external = process.env.PAIRPAD_URL
  if (external) {
    // Development aid: run against an already running server (no restart support).
    const u = new URL(external)
    return {
      url: external.replace(/\/$/, ""),
      port: Number(u.port),
      dbPath: "",
      logPath: "",
      stop: async () => 0,
      start: async () => undefined,
      cleanup() {},
    }
  }
  checkPrerequisites()
  mkdirSync(ARTIFACTS, { recursive: true })
  const dir = mkdtempSync(join(tmpdir(), "pairpad-e2e-"))
  const dbPath = join(dir, "e2e.db")
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const logPath = join(ARTIFACTS, `server-${opts.name ?? "e2e"}.log`)
  const logStream: WriteStream = createWriteStream(logPath, { flags: "w" })
  let tail = ""
  let proc: ChildProcess | null = null

  const start = async () => {
    const child = spawn(BIN, [], {
      env: {
        ...process.env,
        ADDR: `127.0.0.1:${port}`,
        DATABASE_URL: `sqlite:${dbPath}`,
        CLIENT_DIR: DIST,
        FLUSH_INTERVAL: "1s",
        LOG_LEVEL: process.env.PAIRPAD_LOG_LEVEL ?? "info",
        ...opts.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    })
    children.add(child)
    child.on("exit", () => children.delete(child))
    const onData = (b: Buffer) => {
      logStream.write(b)
      tail = (tail + b.toString()).slice(-4000)
    }
    child.stdout?.on("data", onData)
    child.stderr?.on("data", onData)
    proc = child
    await waitForHttp(`${url}/`, 20_000, child, () => tail)
  }

  const stop = async (): Promise<number | null> => {
    const child = proc
    if (!child || child.exitCode !== null) return child?.exitCode ?? null
    const exited = new Promise<number | null>(r => child.once("exit", code => r(code)))
    child.kill("SIGTERM")
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000)
    const code = await exited
    clearTimeout(timer)
    proc = null
    return code
  }

  await start()
  return {
    url,
    port,
    dbPath,
    logPath,
    stop,
    start,
    cleanup() {
      logStream.end()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  })
}

export interface Person {
  context: BrowserContext
  page: Page
  name: string
  errors: string[]
}

/** A browser context with a saved display name (so no name dialog) and preferences. */
export async function newPerson(
  browser: Browser,
  name: string,
  prefs: { color?: string; suggestionsEnabled?: boolean; suggestionDelayMs?: number; colorScheme?: "light" | "dark" } = {},
): Promise<Person> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 }, colorScheme: prefs.colorScheme ?? "light" })
  const saved = {
    name,
    color: prefs.color ?? "#0090ff",
    suggestionsEnabled: prefs.suggestionsEnabled ?? false,
    suggestionDelayMs: prefs.suggestionDelayMs ?? 500,
  }
  await context.addInitScript(
    ([key, value]) => {
      if (!localStorage.getItem(key)) localStorage.setItem(key, value)
    },
    ["pairpad.preferences", JSON.stringify(saved)] as const,
  )
  // tsx compiles the tests with esbuild's keepNames, which wraps named inner functions of
  // page.evaluate callbacks in a `__name(...)` helper that doesn't exist in the page.
  await context.addInitScript({ content: "window.__name = (f) => f" })
  const page = await context.newPage()
  const errors: string[] = []
  page.on("pageerror", e => errors.push(String(e)))
  return { context, page, name, errors }
}

/**
 * The people a test file opens, each a context of `browser()` (called when a person is
 * made, so the browser may be launched in a `before` hook), remembered in `people` for
 * closing and for checking page errors.
 */
export function castOf(browser: () => Browser) {
  const people: Person[] = []
  const person = async (name: string, prefs: Parameters<typeof newPerson>[2] = {}): Promise<Person> => {
    const p = await newPerson(browser(), name, prefs)
    people.push(p)
    return p
  }
  return { people, person }
}

export interface CreatedRoom {
  room_id: string
  url: string
  owner_token: string
  links: { id: string; role: "editor" | "viewer"; token: string; url: string }[]
}

/** Rooms made by createRoom: the server runs with ACCESS=links, so every room needs its token. */
export const createdRooms = new Map<string, CreatedRoom>()

export async function createRoomFull(baseUrl: string, language = "python"): Promise<CreatedRoom> {
  const res = await fetch(`${baseUrl}/rooms`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ language }),
  })
  if (res.status !== 201) throw new Error(`POST /rooms: ${res.status} ${await res.text()}`)
  const body = (await res.json()) as CreatedRoom
  if (!body.owner_token) throw new Error(`POST /rooms gave no owner_token: ${JSON.stringify(body)}`)
  createdRooms.set(body.room_id, body)
  return body
}

export async function createRoom(baseUrl: string, language = "python"): Promise<string> {
  return (await createRoomFull(baseUrl, language)).room_id
}

/** The room's owner token (rooms made by createRoom). */
export function ownerToken(roomId: string): string {
  const r = createdRooms.get(roomId)
  if (!r) throw new Error(`room ${roomId} was not made by createRoom: no token known`)
  return r.owner_token
}

/** The owner's browser link for a room made by createRoom (token in the fragment). */
export function roomUrl(baseUrl: string, roomId: string): string {
  return `${baseUrl}/room/${roomId}#token=${encodeURIComponent(ownerToken(roomId))}`
}

/** fetch() with the room owner's Bearer token. */
export function ownerFetch(roomId: string, url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${ownerToken(roomId)}` } })
}

/** Opens the room (as its owner, by default) and waits until the editor is bound and the socket connected. */
export async function openRoom(p: Person, baseUrl: string, roomId: string, url = roomUrl(baseUrl, roomId)) {
  await p.page.goto(url)
  await waitConnected(p.page)
}

export async function waitConnected(page: Page, timeout = 15_000) {
  await page.waitForFunction(() => !!window.__pairpad, null, { timeout })
  await page.waitForSelector('[data-testid="connection-status"][data-status="connected"]', { timeout })
}

/** The Automerge actor this browser uses in the room (kept in localStorage across reloads). */
export function actorOf(page: Page, roomId: string): Promise<string | null> {
  return page.evaluate(r => localStorage.getItem(`pairpad:actor:${r}`), roomId)
}

export async function editorText(page: Page): Promise<string> {
  return page.evaluate(() => window.__pairpad?.text() ?? "")
}

/** Polls until the page's editor text satisfies `pred` (string = exact match). */
export async function waitForText(page: Page, pred: string | ((t: string) => boolean), timeout = 10_000): Promise<string> {
  const deadline = Date.now() + timeout
  let last = ""
  while (Date.now() < deadline) {
    last = await editorText(page)
    if (typeof pred === "string" ? last === pred : pred(last)) return last
    await new Promise(r => setTimeout(r, 25))
  }
  throw new Error(`editor text did not reach the expected state within ${timeout} ms; last text:\n${JSON.stringify(last)}\nexpected: ${typeof pred === "string" ? JSON.stringify(pred) : pred.toString()}`)
}

/** Puts the caret at `pos` (through the editor, as a click would) and focuses the editor. */
export async function placeCaret(page: Page, pos: number) {
  await page.evaluate(p => {
    const v = window.__pairpad!.view
    v.focus()
    v.dispatch({ selection: { anchor: p }, userEvent: "select" })
  }, pos)
}

export async function poll<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeout = 10_000): Promise<T> {
  const deadline = Date.now() + timeout
  let last: T = await fn()
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`)
    await new Promise(r => setTimeout(r, 25))
    last = await fn()
  }
  return last
}

/** One unlabelled value from the server's Prometheus /metrics. */
export async function metric(baseUrl: string, name: string): Promise<number> {
  const res = await fetch(`${baseUrl}/metrics`)
  if (res.status !== 200) throw new Error(`GET /metrics: ${res.status}`)
  const text = await res.text()
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text)
  if (!m) throw new Error(`metric ${name} not found in /metrics`)
  return Number(m[1])
}
