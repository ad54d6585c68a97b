/**
 * Issue 13 (client part) end to end: every person's changes carry their own stable
 * Automerge actor (kept across a reload), the document's `people` map names them, an
 * accepted AI suggestion is one change with message "ai" and a large paste one with
 * message "paste". Checked on the room's exported document (`GET /rooms/{id}/snapshot`)
 * decoded with Automerge JS.
 */
import { after, before, describe, test } from "node:test"
import assert from "node:assert/strict"
import * as A from "@automerge/automerge"
import type { Route } from "playwright-core"
import {
  actorOf,
  createRoom,
  editorText,
  launchBrowser,
  newPerson,
  openRoom,
  ownerFetch,
  placeCaret,
  poll,
  startServer,
  waitConnected,
  waitForText,
  type Person,
  type ServerHandle,
} from "./harness"
import type { Browser } from "playwright-core"

let server: ServerHandle
let browser: Browser
const people: Person[] = []

before(async () => {
  server = await startServer({ name: "attribution" })
  browser = await launchBrowser()
})

after(async () => {
  for (const p of people.splice(0)) await p.context.close().catch(() => undefined)
  await browser?.close().catch(() => undefined)
  await server?.stop()
  server?.cleanup()
})

type RoomDoc = { content: string; people?: Record<string, { name: unknown; colour: unknown }> }

interface Authored {
  hash: string
  actor: string
  seq: number
  message: string | null
  /** characters this change inserted into `content` */
  inserted: string
}

async function snapshot(room: string): Promise<A.Doc<RoomDoc>> {
  const res = await ownerFetch(room, `${server.url}/rooms/${room}/snapshot`)
  assert.equal(res.status, 200)
  return A.load<RoomDoc>(new Uint8Array(await res.arrayBuffer()))
}

/** Every change of the document with the text it inserted (diff from its deps to it). */
function authored(doc: A.Doc<RoomDoc>): Authored[] {
  return A.getAllChanges(doc).map(raw => {
    const c = A.decodeChange(raw)
    let inserted = ""
    for (const p of A.diff(doc, c.deps, [c.hash])) {
      if (p.action === "splice" && p.path[0] === "content") inserted += p.value
    }
    return { hash: c.hash, actor: c.actor, seq: c.seq, message: c.message ?? null, inserted }
  })
}

const scalar = (v: unknown) => (v == null ? null : String(v))

/** Polls the exported document until `ok` holds for it. */
async function snapshotUntil(room: string, what: string, ok: (d: A.Doc<RoomDoc>) => boolean, timeout = 10_000) {
  let doc: A.Doc<RoomDoc> | null = null
  await poll(
    what,
    async () => {
      doc = await snapshot(room)
      return ok(doc)
    },
    v => v,
    timeout,
  )
  return doc!
}

describe("attribution", () => {
  test("two people: each one's characters carry their actor, people names both, a reload keeps the actor", async () => {
    const room = await createRoom(server.url, "python")
    const alice = await newPerson(browser, "Alice", { color: "#e5484d" })
    const bob = await newPerson(browser, "Bob", { color: "#0090ff" })
    people.push(alice, bob)
    await openRoom(alice, server.url, room)
    await openRoom(bob, server.url, room)
    const aliceActor = await actorOf(alice.page, room)
    const bobActor = await actorOf(bob.page, room)
    assert.match(aliceActor ?? "", /^[0-9a-f]{32}$/)
    assert.match(bobActor ?? "", /^[0-9a-f]{32}$/)
    assert.notEqual(aliceActor, bobActor)

    await placeCaret(alice.page, 0)
    await alice.page.keyboard.type("alpha\n")
    await waitForText(bob.page, "alpha\n")
    await placeCaret(bob.page, 6)
    await bob.page.keyboard.type("bravo")
    await waitForText(alice.page, "alpha\nbravo")

    let doc = await snapshotUntil(room, "both people's text and names in the snapshot", d =>
      d.content === "alpha\nbravo" && !!d.people?.[aliceActor!] && !!d.people?.[bobActor!],
    )
    const changes = authored(doc)
    const typedBy = (actor: string) => changes.filter(c => c.actor === actor).map(c => c.inserted).join("")
    assert.equal(typedBy(aliceActor!), "alpha\n")
    assert.equal(typedBy(bobActor!), "bravo")
    // Nobody else typed anything (the server's root change inserts no text).
    assert.deepEqual(
      changes.filter(c => c.inserted && c.actor !== aliceActor && c.actor !== bobActor),
      [],
    )
    assert.equal(scalar(doc.people![aliceActor!].name), "Alice")
    assert.equal(scalar(doc.people![aliceActor!].colour), "#e5484d")
    assert.equal(scalar(doc.people![bobActor!].name), "Bob")
    // The people entry is written once, not per keystroke.
    const peopleWrites = changes.filter(c => c.actor === aliceActor && !c.inserted)
    assert.ok(peopleWrites.length <= 1, `Alice made ${peopleWrites.length} changes without text`)

    // A reload (IndexedDB holds the room) keeps the actor; new changes continue its sequence.
    const seqBefore = Math.max(...changes.filter(c => c.actor === aliceActor).map(c => c.seq))
    await alice.page.reload()
    await waitConnected(alice.page)
    await waitForText(alice.page, "alpha\nbravo")
    assert.equal(await actorOf(alice.page, room), aliceActor)
    await placeCaret(alice.page, 0)
    await alice.page.keyboard.type("#")
    await waitForText(bob.page, "#alpha\nbravo")
    doc = await snapshotUntil(room, "the edit after the reload", d => d.content === "#alpha\nbravo")
    const after = authored(doc).filter(c => c.inserted === "#")
    assert.equal(after.length, 1)
    assert.equal(after[0].actor, aliceActor)
    assert.ok(after[0].seq > seqBefore, `seq ${after[0].seq} after ${seqBefore}`)
    // The server's own blame agrees: each span's actor and person name who typed it.
    const blame = (await (await ownerFetch(room, `${server.url}/rooms/${room}/blame`)).json()) as {
      from: number
      to: number
      actor: string
      person: { name: string } | null
    }[]
    const text = "#alpha\nbravo"
    const byActor = (actor: string) =>
      blame
        .filter(s => s.actor === actor)
        .map(s => text.slice(s.from, s.to))
        .join("")
    assert.equal(byActor(aliceActor!), "#alpha\n")
    assert.equal(byActor(bobActor!), "bravo")
    assert.deepEqual(
      [...new Set(blame.map(s => `${s.actor}=${s.person?.name}`))].sort(),
      [`${aliceActor}=Alice`, `${bobActor}=Bob`].sort(),
    )
    // Renaming rewrites the entry.
    assert.deepEqual(alice.errors, [])
    assert.deepEqual(bob.errors, [])
  })

  test("an accepted AI suggestion is one change with message ai; a large paste one with message paste", async () => {
    const room = await createRoom(server.url, "python")
    const alice = await newPerson(browser, "Alice", { suggestionsEnabled: true, suggestionDelayMs: 300 })
    people.push(alice)
    const suggestion = "print(fibonacci(10))"
    await alice.page.route("**/autocomplete", (route: Route) =>
      route.fulfill({
        status: 200,
        contentType: "application/json",
        body: JSON.stringify({ suggestions: [{ text: suggestion, label: "print", kind: "snippet" }], engine: "test", took_ms: 0 }),
      }),
    )
    await openRoom(alice, server.url, room)
    const actor = await actorOf(alice.page, room)
    await placeCaret(alice.page, 0)
    await alice.page.keyboard.type("x = 1\n")
    await poll("ghost text", () => alice.page.evaluate(() => document.querySelector(".cm-ghost-text")?.textContent ?? null), v => v === suggestion, 5000)
    await alice.page.keyboard.press("Tab")
    await waitForText(alice.page, "x = 1\n" + suggestion)

    // A paste through the browser's paste event (two lines).
    const pasted = "def fibonacci(n):\n    return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)\n"
    await alice.page.evaluate(text => {
      const dt = new DataTransfer()
      dt.setData("text/plain", text)
      window.__pairpad!.view.contentDOM.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }))
    }, pasted)
    const want = "x = 1\n" + suggestion + pasted
    await waitForText(alice.page, want)
    await alice.page.keyboard.type("#")

    const doc = await snapshotUntil(room, "typing, suggestion and paste in the snapshot", d => d.content === want + "#")
    const changes = authored(doc).filter(c => c.actor === actor)
    const ai = changes.filter(c => c.message === "ai")
    assert.equal(ai.length, 1)
    assert.equal(ai[0].inserted, suggestion)
    const paste = changes.filter(c => c.message === "paste")
    assert.equal(paste.length, 1)
    assert.equal(paste[0].inserted, pasted)
    // Typing carries no message.
    const typed = changes.filter(c => c.inserted && c.message === null).map(c => c.inserted).join("")
    assert.equal(typed, "x = 1\n#")
    assert.equal(await editorText(alice.page), want + "#")
    assert.deepEqual(alice.errors, [])
  })
})
