/**
 * Opening a long room (issue 16): the server's plain text is on screen and editable
 * while the browser's Automerge copy loads (editor/preview.ts), and what is typed in
 * that preview is merged into the document at the version the preview showed, with
 * whatever others typed meanwhile. A short room opens without a preview.
 */
import { after, before, describe, test } from "node:test"
import assert from "node:assert/strict"
import type { Browser, Page } from "playwright-core"
import { castOf, createRoom, createRoomFull, launchBrowser, openRoom, ownerFetch, poll, roomUrl, startServer, waitConnected, waitForText, type ServerHandle } from "./harness"

let server: ServerHandle
let browser: Browser
const { people, person } = castOf(() => browser)

/** Keeps the room page on its preview until `release` (window.__pairpadHoldOpen). */
async function holdOpen(page: Page) {
  await page.addInitScript(() => {
    const w = window as unknown as { __pairpadHoldOpen: Promise<unknown>; __releaseOpen: () => void }
    w.__pairpadHoldOpen = new Promise<void>(r => (w.__releaseOpen = r))
  })
}

/** Records whether a preview editor ever appeared on the page. */
async function watchForPreview(page: Page) {
  await page.addInitScript(() => {
    const w = window as unknown as { __sawPreview: boolean }
    w.__sawPreview = false
    new MutationObserver(() => {
      if (document.querySelector('[data-testid="editor-preview"]')) w.__sawPreview = true
    }).observe(document, { childList: true, subtree: true })
  })
}

const serverText = async (room: string) => (await ownerFetch(room, `${server.url}/rooms/${room}/text`)).text()

const previewText = (page: Page) => page.evaluate(() => window.__pairpadPreview?.view.state.doc.toString() ?? null)

before(async () => {
  server = await startServer({ name: "longfile" })
  browser = await launchBrowser()
})

after(async () => {
  for (const p of people) assert.deepEqual(p.errors, [], `page errors in ${p.name}'s browser`)
  await browser?.close()
  await server?.stop()
})

/** Alice opens `room` and pastes 60,000 characters into it. */
async function fillLongRoom(room: string) {
  const alice = await person("Alice")
  await openRoom(alice, server.url, room)
  const line = (i: number) => `export const v${i} = ${i} // ${"x".repeat(40)}\n`
  let base = ""
  for (let i = 0; base.length < 60_000; i++) base += line(i)
  await alice.page.evaluate(text => window.__pairpad!.view.dispatch({ changes: { from: 0, insert: text } }), base)
  await poll("the server holds the long text", () => serverText(room), t => t === base, 20_000)
  return { alice, base }
}

describe("long rooms open with their text first", () => {
  test("edits typed while the document loads are merged with a partner's concurrent ones", async () => {
    const room = await createRoom(server.url, "typescript")
    const { alice, base } = await fillLongRoom(room)

    const bob = await person("Bob")
    await holdOpen(bob.page)
    await bob.page.goto(roomUrl(server.url, room))
    await bob.page.waitForSelector('[data-testid="editor-preview"]', { timeout: 15_000 })
    await poll("the preview shows the room's text", () => previewText(bob.page), t => t === base, 15_000)
    assert.equal(await bob.page.evaluate(() => !!window.__pairpad), false, "the live editor is not there yet")
    assert.match((await bob.page.getByTestId("preview-note").textContent()) ?? "", /you can already type/)

    // Bob types in the middle of the preview; Alice, live, types at the top meanwhile, so
    // Bob's positions are only right in the version he saw.
    const at = base.indexOf("export const v500 ")
    await bob.page.evaluate(p => {
      const v = window.__pairpadPreview!.view
      v.focus()
      v.dispatch({ selection: { anchor: p }, scrollIntoView: true })
    }, at)
    await bob.page.keyboard.type("BOB")
    assert.equal((await previewText(bob.page))?.slice(at, at + 3), "BOB")
    await alice.page.evaluate(() => {
      const v = window.__pairpad!.view
      v.focus()
      v.dispatch({ selection: { anchor: 0 } })
    })
    await alice.page.keyboard.type("ALICE")
    await poll("Alice's edit on the server", () => serverText(room), t => t.startsWith("ALICE"), 10_000)

    // The document arrives: Bob's edits are made at the preview's version and merged.
    await bob.page.evaluate(() => (window as unknown as { __releaseOpen: () => void }).__releaseOpen())
    await waitConnected(bob.page)
    const want = "ALICE" + base.slice(0, at) + "BOB" + base.slice(at)
    await waitForText(bob.page, want, 20_000)
    await waitForText(alice.page, want, 20_000)
    assert.equal(await bob.page.locator('[data-testid="editor-preview"]').count(), 0, "the preview is gone")
    // Bob's caret is still right after what he typed, moved by Alice's insert above it.
    assert.equal(await bob.page.evaluate(() => window.__pairpad!.view.state.selection.main.head), 5 + at + 3)
    await bob.page.keyboard.type("!")
    await waitForText(alice.page, "ALICE" + base.slice(0, at) + "BOB!" + base.slice(at), 10_000)
  })

  test("a viewer's preview is read-only", async () => {
    const made = await createRoomFull(server.url, "typescript")
    const { base } = await fillLongRoom(made.room_id)
    const viewer = made.links.find(l => l.role === "viewer")!
    const vic = await person("Vic")
    await holdOpen(vic.page)
    await vic.page.goto(`${server.url}/room/${made.room_id}#token=${encodeURIComponent(viewer.token)}`)
    await poll("the viewer's preview shows the text", () => previewText(vic.page), t => t === base, 15_000)
    await vic.page.waitForSelector('[data-testid="editor-preview"][data-readonly="true"]', { timeout: 10_000 })
    assert.doesNotMatch((await vic.page.getByTestId("preview-note").textContent()) ?? "", /you can already type/)
    await vic.page.evaluate(() => window.__pairpadPreview!.view.focus())
    await vic.page.keyboard.type("nope")
    assert.equal(await previewText(vic.page), base, "typing changed a viewer's preview")
    await vic.page.evaluate(() => (window as unknown as { __releaseOpen: () => void }).__releaseOpen())
    await vic.page.waitForFunction(() => !!window.__pairpad, null, { timeout: 20_000 })
    assert.equal(await vic.page.evaluate(() => window.__pairpad!.text()), base)
  })

  test("while someone else drives, the preview is read-only and the navigator stays connected", async () => {
    const room = await createRoom(server.url, "typescript")
    const { alice, base } = await fillLongRoom(room)
    await alice.page.click('[data-testid="drive-start"]')
    await alice.page.waitForSelector('[data-testid="drive-bar"]')

    const nick = await person("Nick")
    await holdOpen(nick.page)
    await nick.page.goto(roomUrl(server.url, room))
    await poll("the navigator's preview shows the text", () => previewText(nick.page), t => t === base, 15_000)
    await nick.page.waitForSelector('[data-testid="editor-preview"][data-readonly="true"]', { timeout: 2_000 })
    assert.doesNotMatch((await nick.page.getByTestId("preview-note").textContent()) ?? "", /you can already type/)
    await nick.page.evaluate(() => window.__pairpadPreview!.view.focus())
    await nick.page.keyboard.type("nope")
    assert.equal(await previewText(nick.page), base, "typing changed a navigator's preview")

    await nick.page.evaluate(() => (window as unknown as { __releaseOpen: () => void }).__releaseOpen())
    await nick.page.waitForFunction(() => !!window.__pairpad, null, { timeout: 20_000 })
    await waitConnected(nick.page)
    await alice.page.evaluate(() => {
      const v = window.__pairpad!.view
      v.focus()
      v.dispatch({ selection: { anchor: 0 } })
    })
    await alice.page.keyboard.type("DRIVER")
    await waitForText(nick.page, "DRIVER" + base, 20_000)
    assert.equal(await nick.page.getAttribute(".editor-host", "data-readonly"), "true", "the navigator's live editor is read-only")
  })

  test("a short room opens without a preview", async () => {
    const room = await createRoom(server.url, "python")
    const carol = await person("Carol")
    await watchForPreview(carol.page)
    await openRoom(carol, server.url, room)
    await carol.page.keyboard.type("print(1)")
    await waitForText(carol.page, "print(1)")
    assert.equal(await carol.page.evaluate(() => (window as unknown as { __sawPreview: boolean }).__sawPreview), false)
  })
})
