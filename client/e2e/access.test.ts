/**
 * Issue 15 in Chromium against the real binary (ACCESS=links): the owner shares a
 * view link; the viewer gets a read-only editor with a "View only" badge; the owner
 * promotes the viewer from the people list and the viewer types without reloading;
 * revoking the link shows the viewer that the link is not valid any more.
 */
import { after, before, describe, test } from "node:test"
import assert from "node:assert/strict"
import type { Browser } from "playwright-core"
import {
  createRoomFull,
  editorText,
  launchBrowser,
  openRoom,
  ownerFetch,
  placeCaret,
  poll,
  roomUrl,
  startServer,
  waitForText,
  type ServerHandle,
  castOf,
} from "./harness"

let server: ServerHandle
let browser: Browser
const { people, person } = castOf(() => browser)

before(async () => {
  server = await startServer({ name: "access" })
  browser = await launchBrowser()
})

after(async () => {
  for (const p of people.splice(0)) await p.context.close().catch(() => undefined)
  await browser?.close().catch(() => undefined)
  await server?.stop()
  server?.cleanup()
})

describe("access control in the browser", () => {
  test("a viewer cannot type and sees the badge; promoted live, they type without reloading; revoked, the link is refused", async () => {
    const room = await createRoomFull(server.url, "python")
    const owner = await person("Olga")
    await openRoom(owner, server.url, room.room_id, roomUrl(server.url, room.room_id))
    assert.equal(await owner.page.locator('[data-testid="view-only-badge"]').count(), 0, "the owner edits")
    await placeCaret(owner.page, 0)
    await owner.page.keyboard.type("x = 1\n")

    // Share → the view link.
    await owner.page.click('[data-testid="share-button"]')
    const viewLink = await (await owner.page.waitForSelector('[data-testid="share-view-link"]')).inputValue()
    assert.match(viewLink, new RegExp(`/room/${room.room_id}#token=`))
    const editLink = await owner.page.inputValue('[data-testid="share-edit-link"]')
    assert.notEqual(viewLink, editLink)
    await owner.page.click('[data-testid="share-button"]') // close

    const viewer = await person("Victor")
    await openRoom(viewer, server.url, room.room_id, viewLink)
    await viewer.page.waitForSelector('[data-testid="view-only-badge"] >> text=View only')
    await waitForText(viewer.page, "x = 1\n")
    // The token left the address bar.
    assert.equal(new URL(viewer.page.url()).hash, "")
    // The viewer tries to type: nothing changes, locally or anywhere.
    await viewer.page.click(".cm-content")
    await viewer.page.keyboard.type("HACK")
    await viewer.page.keyboard.press("Enter")
    assert.equal(await viewer.page.getAttribute(".cm-content", "contenteditable"), "false")
    assert.equal(await viewer.page.isDisabled('[data-testid="language-select"]'), true)
    // Live edits still reach the viewer; its keystrokes reached nobody.
    await placeCaret(owner.page, (await editorText(owner.page)).length)
    await owner.page.keyboard.type("y = 2\n")
    await waitForText(viewer.page, "x = 1\ny = 2\n")
    const text = async () => (await ownerFetch(room.room_id, `${server.url}/rooms/${room.room_id}/text`)).text()
    await poll("server text", text, t => t === "x = 1\ny = 2\n")
    assert.equal(await editorText(owner.page), "x = 1\ny = 2\n")

    // The owner sees the viewer's role in the people list and promotes them there.
    await viewer.page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true))
    const viewerEntry = owner.page.locator('[data-testid="peer-list"] .peer', { hasText: "Victor" })
    await viewerEntry.locator('[data-testid="peer-role"]').waitFor({ timeout: 15_000 })
    assert.equal(await viewerEntry.locator('[data-testid="peer-role"]').inputValue(), "viewer")
    await viewerEntry.locator('[data-testid="peer-role"]').selectOption("editor")
    await viewer.page.waitForSelector('[data-testid="view-only-badge"]', { state: "detached", timeout: 5_000 })
    assert.equal(await viewer.page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload), true, "no reload")
    await placeCaret(viewer.page, 0)
    await viewer.page.keyboard.type("# promoted\n")
    await waitForText(owner.page, "# promoted\nx = 1\ny = 2\n")
    await poll("server text after promotion", text, t => t === "# promoted\nx = 1\ny = 2\n")
    assert.deepEqual(viewer.errors, [])

    // Revoke the link from the people list: the (former) viewer is told the link is dead.
    await viewerEntry.locator('[data-testid="peer-revoke"]').click()
    await viewer.page.waitForSelector('[data-testid="link-invalid"] >> text=This link is not valid any more', { timeout: 5_000 })
    const again = await person("Victor again")
    await again.page.goto(viewLink)
    await again.page.waitForSelector('[data-testid="link-invalid"]', { timeout: 10_000 })
  })
})
