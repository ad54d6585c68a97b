// A stand-in for the Go server, for client development only: the stock automerge-repo
// Node WebSocket server behind the same HTTP API (POST /rooms, GET /rooms/:id,
// /ws/:id, a trivial /autocomplete) serving client/dist. In-memory: no persistence.
// Usage: node scripts/stub-server.mjs [port]
import http from "node:http"
import { readFile } from "node:fs/promises"
import { extname, join, resolve } from "node:path"
import { WebSocketServer } from "ws"
import { Repo, ImmutableString } from "@automerge/automerge-repo"
import { WebSocketServerAdapter } from "@automerge/automerge-repo-network-websocket"

const port = Number(process.argv[2] ?? process.env.PORT ?? 18081)
const dist = resolve(process.env.CLIENT_DIR ?? new URL("../dist", import.meta.url).pathname)
const wss = new WebSocketServer({ noServer: true })
const repo = new Repo({ network: [new WebSocketServerAdapter(wss)], sharePolicy: async () => true })
const rooms = new Map()

const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm", ".svg": "image/svg+xml" }
const json = (res, status, body) => {
  res.writeHead(status, { "Content-Type": "application/json" })
  res.end(JSON.stringify(body))
}
const body = req => new Promise(r => { let s = ""; req.on("data", c => (s += c)); req.on("end", () => r(s)) })

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, "http://x")
  if (req.method === "POST" && url.pathname === "/rooms") {
    const b = JSON.parse((await body(req)) || "{}")
    const h = repo.create({ content: "", language: new ImmutableString(b.language ?? "python") })
    rooms.set(h.documentId, Date.now())
    return json(res, 201, { room_id: h.documentId, url: `/room/${h.documentId}` })
  }
  const m = /^\/rooms\/([^/]+)$/.exec(url.pathname)
  if (req.method === "GET" && m) {
    if (!rooms.has(m[1])) return json(res, 404, { error: { code: "room_not_found", message: "no such room" } })
    const h = await repo.find(`automerge:${m[1]}`)
    return json(res, 200, { room_id: m[1], language: String(h.doc().language), created_at: "", updated_at: "", peers: 0, size_bytes: 0 })
  }
  if (req.method === "POST" && url.pathname === "/autocomplete") {
    const b = JSON.parse(await body(req))
    const line = b.code.slice(0, b.cursor).split("\n").pop()
    const prev = b.code.slice(0, b.cursor).split("\n").slice(-2)[0] ?? ""
    const suggestions = /^\s*$/.test(line) && /def \w+\(.*\):\s*$/.test(prev) ? [{ text: "if n < 2:\n        return n", label: "body", kind: "snippet" }] : []
    return json(res, 200, { suggestions, engine: "stub", took_ms: 0 })
  }
  let path = join(dist, url.pathname)
  if (!path.startsWith(dist) || url.pathname === "/" || url.pathname.startsWith("/room/")) path = join(dist, "index.html")
  try {
    const data = await readFile(path)
    res.writeHead(200, { "Content-Type": types[extname(path)] ?? "application/octet-stream" })
    res.end(data)
  } catch {
    res.writeHead(404)
    res.end("not found")
  }
})
server.on("upgrade", (req, socket, head) => {
  const m = /^\/ws\/([^/?]+)/.exec(req.url)
  if (!m || !rooms.has(m[1])) {
    socket.end("HTTP/1.1 404 Not Found\r\n\r\n")
    return
  }
  wss.handleUpgrade(req, socket, head, ws => wss.emit("connection", ws, req))
})
server.listen(port, "127.0.0.1", () => console.log(`stub server on http://127.0.0.1:${port}`))
