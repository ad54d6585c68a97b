// Access control with the stock @automerge/automerge-repo client against the
// real Pairpad binary under ACCESS=links (issue 15): tokens on the upgrade,
// viewers that cannot write, revocation and role changes on live sockets,
// and application tokens.
import { test, before, after } from "node:test"
import assert from "node:assert/strict"
import { createHmac } from "node:crypto"
import WebSocket from "ws"
import * as A from "@automerge/automerge"
import { startServer, connect, until, shutdownRepos } from "./harness.mjs"

const APP_SECRET = "conformance-app-secret-0123456789abcdef"
let server
const repos = []
before(async () => { server = await startServer({ ACCESS: "links", APP_TOKEN_SECRET: APP_SECRET }) })
after(async () => {
  await shutdownRepos(repos)
  await server?.stop()
})

async function newRoom() {
  const r = await fetch(`${server.base}/rooms`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })
  assert.equal(r.status, 201)
  const body = await r.json()
  const link = role => body.links.find(l => l.role === role)
  assert.ok(body.owner_token && link("editor")?.token && link("viewer")?.token, JSON.stringify(body))
  return { id: body.room_id, owner: body.owner_token, editor: link("editor"), viewer: link("viewer") }
}

const wsURL = (room, token) => server.wsURL(room) + (token ? `?token=${encodeURIComponent(token)}` : "")

/** The HTTP status of a WebSocket upgrade (101 when it opens). */
function upgradeStatus(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.on("unexpected-response", (_req, res) => { resolve(res.statusCode); res.resume() })
    ws.on("open", () => { ws.close(); resolve(101) })
    ws.on("error", e => { if (!String(e.message).includes("Unexpected server response")) reject(e) })
  })
}

const api = (method, path, token, body) =>
  fetch(`${server.base}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })

const text = async (room, token) => {
  const r = await api("GET", `/rooms/${room}/text`, token)
  assert.equal(r.status, 200)
  return r.text()
}

/** A stock client on the room with token; `closes` collects the close codes it gets. */
async function open(room, token) {
  const { repo, adapter } = connect(wsURL(room, token))
  repos.push(repo)
  const closes = []
  const watch = () => {
    const s = adapter.socket
    if (s && !s.__watched) {
      s.__watched = true
      s.addEventListener("close", e => closes.push({ code: e.code, at: Date.now() }))
    }
  }
  const timer = setInterval(watch, 5)
  const handle = await repo.find(`automerge:${room}`)
  watch()
  return { repo, adapter, handle, closes, stop: () => clearInterval(timer) }
}

function hs256(payload, secret) {
  const b64 = o => Buffer.from(JSON.stringify(o)).toString("base64url")
  const head = b64({ alg: "HS256", typ: "JWT" }) + "." + b64(payload)
  return head + "." + createHmac("sha256", secret).update(head).digest("base64url")
}

test("upgrades without a valid token are refused before the WebSocket opens", async () => {
  const a = await newRoom()
  const b = await newRoom()
  assert.equal(await upgradeStatus(wsURL(a.id)), 401, "no token")
  // Forged: the viewer's claims re-signed as owner with a guessed secret.
  const [, payload] = a.viewer.token.split(".")
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString())
  assert.equal(await upgradeStatus(wsURL(a.id, hs256({ ...claims, role: "owner" }, "guessed-secret"))), 401, "forged")
  // alg none.
  const none = Buffer.from('{"alg":"none"}').toString("base64url") + "." + payload + "."
  assert.equal(await upgradeStatus(wsURL(a.id, none)), 401, "alg none")
  // Expired: a link that lives one second.
  const r = await api("POST", `/rooms/${a.id}/links`, a.owner, { role: "editor", expires_in: 1 })
  assert.equal(r.status, 201)
  const short = await r.json()
  await until("the short link expires", async () => (await upgradeStatus(wsURL(a.id, short.token))) === 401, 5000)
  // A good token for another room.
  assert.equal(await upgradeStatus(wsURL(b.id, a.editor.token)), 403, "other room")
  assert.equal(await upgradeStatus(wsURL(a.id, a.editor.token)), 101, "own room")
})

test("an editor writes; a viewer reads live but its change is refused with 4403 and reaches nobody", async () => {
  const room = await newRoom()
  const ed = await open(room.id, room.editor.token)
  const vw = await open(room.id, room.viewer.token)
  ed.handle.change(d => A.splice(d, ["content"], 0, 0, "editor says hi\n"))
  await until("server has the editor's edit", async () => (await text(room.id, room.viewer.token)) === "editor says hi\n")
  await until("viewer sees it live", () => vw.handle.doc().content === "editor says hi\n")

  vw.handle.change(d => A.splice(d, ["content"], 0, 0, "VIEWER WAS HERE "))
  await until("viewer closed with 4403", () => vw.closes.some(c => c.code === 4403), 5000)
  // Something the editor types afterwards reaches the server: the viewer's
  // change (sent before it) must not be there, nor at the editor.
  ed.handle.change(d => A.splice(d, ["content"], d.content.length, 0, "after"))
  await until("server has the later edit", async () => (await text(room.id, room.owner)).endsWith("after"))
  assert.equal(await text(room.id, room.owner), "editor says hi\nafter")
  assert.ok(!ed.handle.doc().content.includes("VIEWER"), ed.handle.doc().content)
  ed.stop(); vw.stop()
})

test("revoking a viewer's link closes its socket within 1 s with 4401; the token is then refused", async () => {
  const room = await newRoom()
  const vw = await open(room.id, room.viewer.token)
  await until("viewer connected", () => vw.adapter.socket?.readyState === WebSocket.OPEN)
  const r = await api("DELETE", `/rooms/${room.id}/links/${room.viewer.id}`, room.owner)
  assert.equal(r.status, 200)
  const revokedAt = Date.now()
  await until("closed with 4401", () => vw.closes.some(c => c.code === 4401), 1000)
  const closedAt = vw.closes.find(c => c.code === 4401).at
  console.log(`revocation closed the viewer ${closedAt - revokedAt} ms after the DELETE answered`)
  assert.equal(await upgradeStatus(wsURL(room.id, room.viewer.token)), 401)
  vw.stop()
})

test("demoting an editor live refuses its next change; promoting a viewer live lets its change land", async () => {
  const room = await newRoom()
  const ed = await open(room.id, room.editor.token)
  const vw = await open(room.id, room.viewer.token)
  ed.handle.change(d => A.splice(d, ["content"], 0, 0, "one\n"))
  await until("first edit saved", async () => (await text(room.id, room.owner)) === "one\n")
  await until("viewer has it", () => vw.handle.doc().content === "one\n")

  let r = await api("PATCH", `/rooms/${room.id}/links/${room.editor.id}`, room.owner, { role: "viewer" })
  assert.equal(r.status, 200)
  r = await api("PATCH", `/rooms/${room.id}/links/${room.viewer.id}`, room.owner, { role: "editor" })
  assert.equal(r.status, 200)
  // Both sockets stay open: nobody reconnects for a role change.
  await until("the role change is live (GET /rooms says so)", async () =>
    (await (await api("GET", `/rooms/${room.id}`, room.viewer.token)).json()).role === "editor")

  vw.handle.change(d => A.splice(d, ["content"], d.content.length, 0, "promoted\n"))
  await until("the promoted viewer's change lands", async () => (await text(room.id, room.owner)) === "one\npromoted\n")
  assert.deepEqual(vw.closes, [], "the promoted viewer was not reconnected")

  ed.handle.change(d => A.splice(d, ["content"], 0, 0, "DEMOTED "))
  await until("the demoted editor is closed with 4403", () => ed.closes.some(c => c.code === 4403), 5000)
  vw.handle.change(d => A.splice(d, ["content"], d.content.length, 0, "end"))
  await until("a later edit lands", async () => (await text(room.id, room.owner)).endsWith("end"))
  assert.equal(await text(room.id, room.owner), "one\npromoted\nend")
  ed.stop(); vw.stop()
})

test("an application token is accepted with its role and name; a wrong secret is refused", async () => {
  const room = await newRoom()
  const exp = Math.floor(Date.now() / 1000) + 600
  const tok = hs256({ room: room.id, role: "editor", name: "Grace Hopper", exp }, APP_SECRET)
  const info = await (await api("GET", `/rooms/${room.id}`, tok)).json()
  assert.equal(info.role, "editor")
  assert.equal(info.name, "Grace Hopper")
  const app = await open(room.id, tok)
  app.handle.change(d => A.splice(d, ["content"], 0, 0, "from the app"))
  await until("the app user's change lands", async () => (await text(room.id, room.owner)) === "from the app")
  const wrong = hs256({ room: room.id, role: "editor", name: "Mallory", exp }, "not-the-app-secret-not-the-app-secret")
  assert.equal((await api("GET", `/rooms/${room.id}`, wrong)).status, 401)
  assert.equal(await upgradeStatus(wsURL(room.id, wrong)), 401)
  const anyRoomViewer = hs256({ room: "*", role: "viewer", name: "Auditor", exp }, APP_SECRET)
  assert.equal(await upgradeStatus(wsURL(room.id, anyRoomViewer)), 101)
  app.stop()
})
