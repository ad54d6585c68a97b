/**
 * Presence traffic between two browsers against the real Go binary: every frame a
 * browser sends must be its own. automerge-repo relays each ephemeral message it
 * receives to its other peers, which for a browser is the server again; the server
 * drops such frames (foreign senderId) and counts them in pairpad_frames_dropped_total.
 */
import { after, before, describe, test } from "node:test"
import assert from "node:assert/strict"
import type { Browser, Page } from "playwright-core"
import { createRoom, launchBrowser, metric, newPerson, openRoom, placeCaret, poll, startServer, waitForText, type Person, type ServerHandle } from "./harness"

let server: ServerHandle
let browser: Browser
const people: Person[] = []

before(async () => {
  server = await startServer({ name: "presence" })
  browser = await launchBrowser()
})

after(async () => {
  for (const p of people.splice(0)) await p.context.close().catch(() => undefined)
  await browser?.close().catch(() => undefined)
  await server?.stop()
  server?.cleanup()
})

/** Where `page` draws the caret of the person called `name`, or null. */
function caretOf(page: Page, name: string) {
  return page.evaluate(n => window.__pairpad!.remoteCursors().find(c => c.name === n)?.head ?? null, name)
}

describe("presence", () => {
  test("a presence-heavy session sends the server no frame under another peer's id", async () => {
    const room = await createRoom(server.url, "python")
    const alice = await newPerson(browser, "Alice", { color: "#e5484d" })
    const bob = await newPerson(browser, "Bob", { color: "#30a46c" })
    people.push(alice, bob)
    await openRoom(alice, server.url, room)
    await openRoom(bob, server.url, room)
    await placeCaret(alice.page, 0)
    await alice.page.keyboard.type("0123456789abcdefghij")
    await waitForText(bob.page, "0123456789abcdefghij")

    const droppedBefore = await metric(server.url, "pairpad_frames_dropped_total")
    const framesBefore = await metric(server.url, "pairpad_frames_in_total")
    // Carets move back and forth; each move is a presence message the other side must
    // see before the next one, so every relay (were there any) reaches the server in order.
    for (let i = 1; i <= 12; i++) {
      await placeCaret(alice.page, i)
      await poll(`Alice's caret at ${i} in Bob's editor`, () => caretOf(bob.page, "Alice"), v => v === i)
      await placeCaret(bob.page, 20 - i)
      await poll(`Bob's caret at ${20 - i} in Alice's editor`, () => caretOf(alice.page, "Bob"), v => v === 20 - i)
    }
    // One more round trip on both sockets: anything either browser sent before it has been read.
    await placeCaret(alice.page, 0)
    await poll("Alice's last caret in Bob's editor", () => caretOf(bob.page, "Alice"), v => v === 0)
    await placeCaret(bob.page, 0)
    await poll("Bob's last caret in Alice's editor", () => caretOf(alice.page, "Bob"), v => v === 0)

    const framesIn = (await metric(server.url, "pairpad_frames_in_total")) - framesBefore
    const dropped = (await metric(server.url, "pairpad_frames_dropped_total")) - droppedBefore
    assert.ok(framesIn >= 26, `presence reached the server (${framesIn} frames in)`)
    assert.equal(dropped, 0, `frames dropped by the server during ${framesIn} presence frames`)
    assert.deepEqual([...alice.errors, ...bob.errors], [])
  })
})
