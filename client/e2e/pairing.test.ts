/**
 * Issue 14 ("fix first", download, follow mode) in Chromium against the real binary:
 * the name dialog keeps the keyboard while the room loads, the header and recent rooms
 * tell the truth, suggestions recover with the connection, colours are distinct in a
 * room of three, light/dark switch and contrast, a phone-width header, downloading the
 * code, following a person (by click, and when the owner presents), and blame.
 */
import { after, before, describe, test } from "node:test"
import assert from "node:assert/strict"
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import type { Browser, Page } from "playwright-core"
import {
  actorOf,
  ARTIFACTS,
  createRoomFull,
  editorText,
  launchBrowser,
  metric,
  openRoom,
  ownerFetch,
  placeCaret,
  poll,
  roomUrl,
  startServer,
  waitConnected,
  waitForText,
  type ServerHandle,
  castOf,
} from "./harness"

let server: ServerHandle
let browser: Browser
const { people, person } = castOf(() => browser)

before(async () => {
  // A short DRIVE_GRACE: the navigator's forced edit below is refused without a wait.
  server = await startServer({ name: "pairing", env: { DRIVE_GRACE: "100ms" } })
  browser = await launchBrowser()
})

after(async () => {
  for (const p of people.splice(0)) await p.context.close().catch(() => undefined)
  await browser?.close().catch(() => undefined)
  await server?.stop()
  server?.cleanup()
})

const activeTestId = (page: Page) =>
  page.evaluate(() => {
    const a = document.activeElement
    if (!a) return null
    if (a.closest('[data-testid="name-dialog"]')) return "in-dialog:" + (a.getAttribute("data-testid") ?? a.tagName)
    return a.getAttribute("data-testid") ?? a.className
  })

async function serverText(roomId: string): Promise<string> {
  const res = await ownerFetch(roomId, `${server.url}/rooms/${roomId}/text`)
  assert.equal(res.status, 200)
  return res.text()
}

/** WCAG contrast of an element's text against the first opaque background behind it. */
function contrastOf(page: Page, selector: string) {
  return page.evaluate(sel => {
    const el = document.querySelector(sel)
    if (!el) throw new Error(`no ${sel}`)
    const rgb = (s: string) => (s.match(/[\d.]+/g) ?? []).map(Number)
    let bg: number[] = [255, 255, 255]
    for (let n: Element | null = el; n; n = n.parentElement) {
      const c = rgb(getComputedStyle(n).backgroundColor)
      if (c.length >= 3 && (c.length < 4 || c[3] === 1)) {
        bg = c
        break
      }
    }
    const fg = rgb(getComputedStyle(el).color)
    const lum = (c: number[]) =>
      c.slice(0, 3).reduce((sum, v, i) => {
        const s = v / 255
        const lin = s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
        return sum + lin * [0.2126, 0.7152, 0.0722][i]
      }, 0)
    const [a, b] = [lum(fg), lum(bg)]
    return { ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05), fg, bg }
  }, selector)
}

/** The room header at phone width: one row, nothing past the right edge. */
async function assertOneRow(page: Page) {
  const layout = await page.evaluate(() => {
    const header = document.querySelector("header.topbar") as HTMLElement
    const visible = [...header.querySelectorAll<HTMLElement>("a, button, select, .conn, .avatar, .view-only-badge")].filter(
      e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden" && !e.closest(".topbar-extras"),
    )
    return {
      height: header.getBoundingClientRect().height,
      scrollWidth: header.scrollWidth,
      clientWidth: header.clientWidth,
      maxRight: Math.max(...visible.map(e => e.getBoundingClientRect().right)),
      tops: visible.map(e => Math.round(e.getBoundingClientRect().top)),
      viewport: innerWidth,
    }
  })
  assert.ok(layout.scrollWidth <= layout.clientWidth, `header overflows: ${JSON.stringify(layout)}`)
  assert.ok(layout.maxRight <= layout.viewport, `a control is off screen: ${JSON.stringify(layout)}`)
  assert.ok(layout.height < 56, `header is one row: ${JSON.stringify(layout)}`)
  assert.ok(Math.max(...layout.tops) - Math.min(...layout.tops) < 16, `controls on one row: ${JSON.stringify(layout)}`)
}

describe("first minute without friction", () => {
  test("the name dialog keeps the keyboard while the room loads; then the editor has it", async () => {
    const room = await createRoomFull(server.url, "python")
    // A first-time visitor: no saved name.
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } })
    await context.addInitScript({ content: "window.__name = (f) => f" })
    const page = await context.newPage()
    const errors: string[] = []
    page.on("pageerror", e => errors.push(String(e)))
    people.push({ context, page, name: "Alice", errors })

    const loaded = () => page.evaluate(() => !!window.__pairpad)

    await page.goto(roomUrl(server.url, room.room_id))
    await page.waitForSelector('[data-testid="name-input"]')
    assert.equal(await activeTestId(page), "in-dialog:name-input")
    // Before a name is chosen the header says "You", never "You (you)".
    assert.equal((await page.textContent('[data-testid="self-name"]'))?.trim(), "You")

    // The dialog renders first; the editor appears behind it once the room has loaded,
    // which happens here while typing or during the Tabs below (never after Enter).
    await page.keyboard.type("Alice", { delay: 30 })
    // Tab away and around while the room finishes loading (the editor appears behind the dialog).
    const deadline = Date.now() + 15_000
    while ((await page.locator('[data-testid="connection-status"][data-status="connected"]').count()) === 0 || !(await loaded())) {
      if (Date.now() > deadline) throw new Error("room did not load")
      await page.keyboard.press("Tab")
    }
    for (let i = 0; i < 13; i++) await page.keyboard.press(i % 4 === 3 ? "Shift+Tab" : "Tab")
    // Whatever in the room grabs focus meanwhile, the dialog takes it back.
    await page.evaluate(() => window.__pairpad!.view.focus())
    assert.match((await activeTestId(page)) ?? "", /^in-dialog:/, "focus came back to the dialog")
    await page.keyboard.press("Tab")
    assert.match((await activeTestId(page)) ?? "", /^in-dialog:/, "focus stayed in the dialog")
    assert.equal(await editorText(page), "", "nothing typed reached the editor")
    await page.keyboard.press("Enter")
    await page.waitForSelector('[data-testid="name-dialog"]', { state: "detached" })
    assert.equal((await page.textContent('[data-testid="self-name"]'))?.trim(), "Alice (you)")
    await poll("focus in the editor", () => activeTestId(page), v => v === "editor")
    await page.keyboard.type("x")
    await waitForText(page, "x")
    await poll("the server's copy", () => serverText(room.room_id), t => t === "x")
    assert.deepEqual(errors, [])
  })

  test("Recent rooms shows the code as it is when you come back through the logo", async () => {
    const room = await createRoomFull(server.url, "python")
    const p = await person("Rita")
    await openRoom(p, server.url, room.room_id)
    await placeCaret(p.page, 0)
    await p.page.keyboard.type("def hello():\n    return 1")
    await waitForText(p.page, t => t.endsWith("return 1"))
    await p.page.click("a.brand")
    const first = p.page.locator('[data-testid="recent-rooms"] li').first()
    await first.waitFor()
    assert.equal((await first.locator(".recent-preview").textContent())?.trim(), "def hello():")
  })

  test("no two of three people share a colour, and every browser agrees who has which", async () => {
    const room = await createRoomFull(server.url, "python")
    const blue = "#0090ff"
    const trio = [await person("Ann", { color: blue }), await person("Ben", { color: blue }), await person("Cat", { color: blue })]
    for (const p of trio) await openRoom(p, server.url, room.room_id)
    const views = []
    for (const p of trio) {
      await p.page.waitForFunction(() => document.querySelectorAll('[data-testid="peer-follow"]').length === 2)
      const colors = await poll(
        `${p.name}'s colours`,
        () =>
          p.page.evaluate(() => {
            const out: Record<string, string> = {}
            const self = document.querySelector('[data-testid="self-name"]')!
            out[self.textContent!.replace(" (you)", "").trim()] = self.getAttribute("data-color")!
            for (const b of document.querySelectorAll('[data-testid="peer-follow"]')) out[b.querySelector(".peer-name")!.textContent!.trim()] = b.getAttribute("data-color")!
            return out
          }),
        c => new Set(Object.values(c)).size === 3,
      )
      views.push(colors)
    }
    assert.deepEqual(views[1], views[0])
    assert.deepEqual(views[2], views[0])
    assert.equal(views[0].Ann, blue, "the first to arrive keeps the colour they chose")
    // Remote carets are drawn in the assigned colours too.
    await placeCaret(trio[1].page, 0)
    const caret = await poll(
      "Ben's caret in Ann's editor",
      () => trio[0].page.evaluate(() => window.__pairpad!.remoteCursors().find(c => c.name === "Ben")?.color ?? null),
      c => c !== null,
    )
    assert.equal(caret, views[0].Ben)
  })

  test("light/dark: follows the OS until switched, remembers the switch, muted text passes AA", async () => {
    const room = await createRoomFull(server.url, "python")
    const p = await person("Dora", { colorScheme: "dark" })
    await openRoom(p, server.url, room.room_id)
    const theme = () => p.page.evaluate(() => document.documentElement.dataset.theme)
    assert.equal(await theme(), "dark", "the OS says dark")
    for (const sel of ['[data-testid="statusbar"]', ".status-room-id"]) {
      const c = await contrastOf(p.page, sel)
      assert.ok(c.ratio >= 4.5, `${sel} in dark: ${c.ratio.toFixed(2)}:1 (${c.fg} on ${c.bg})`)
    }
    assert.equal(await p.page.evaluate(() => getComputedStyle(document.body).backgroundColor), "rgb(30, 33, 39)")
    assert.equal(await p.page.evaluate(() => getComputedStyle(document.querySelector(".cm-editor")!).backgroundColor), "rgb(40, 44, 52)")

    await p.page.click('[data-testid="theme-switch"]')
    assert.equal(await theme(), "light")
    const light = await contrastOf(p.page, '[data-testid="statusbar"]')
    assert.ok(light.ratio >= 4.5, `status bar in light: ${light.ratio.toFixed(2)}:1`)
    assert.equal(await p.page.evaluate(() => getComputedStyle(document.body).backgroundColor), "rgb(255, 255, 255)")
    // The editor follows too (One Dark paints it #282c34).
    assert.notEqual(await p.page.evaluate(() => getComputedStyle(document.querySelector(".cm-editor")!).backgroundColor), "rgb(40, 44, 52)")

    await p.page.reload()
    await waitConnected(p.page)
    assert.equal(await theme(), "light", "the choice is remembered over the OS setting")

    // Someone who never chose follows the OS live.
    const q = await person("Ezra", { colorScheme: "light" })
    await openRoom(q, server.url, room.room_id)
    assert.equal(await q.page.evaluate(() => document.documentElement.dataset.theme), "light")
    await q.page.emulateMedia({ colorScheme: "dark" })
    await poll("dark after the OS switched", () => q.page.evaluate(() => document.documentElement.dataset.theme), v => v === "dark")
  })

  test("375 px wide: the header is one row (extras behind a menu) and the status bar shows the whole language", async () => {
    const room = await createRoomFull(server.url, "typescript")
    const owner = await person("Maximilian Longname")
    const other = await person("Bartholomew")
    await owner.page.setViewportSize({ width: 375, height: 740 })
    await openRoom(owner, server.url, room.room_id)
    await openRoom(other, server.url, room.room_id)
    await owner.page.waitForSelector('[data-testid="peer-follow"]')
    await assertOneRow(owner.page)
    // A viewer's header carries the "View only" badge too.
    const viewLink = room.links.find(l => l.role === "viewer")!
    const viewer = await person("Valentina Viewer")
    await viewer.page.setViewportSize({ width: 375, height: 740 })
    await openRoom(viewer, server.url, room.room_id, viewLink.url.startsWith("http") ? viewLink.url : `${server.url}${viewLink.url}`)
    await viewer.page.waitForSelector('[data-testid="view-only-badge"]')
    await viewer.page.waitForFunction(() => document.querySelectorAll('[data-testid="peer-follow"]').length === 2)
    await assertOneRow(viewer.page)
    await viewer.page.screenshot({ path: join(ARTIFACTS, "pairing-375-viewer.png") })
    // The folded controls are one tap away and fit on screen.
    assert.equal(await owner.page.isVisible('[data-testid="theme-switch"]'), false)
    await owner.page.click('[data-testid="header-menu-button"]')
    await owner.page.waitForSelector('[data-testid="theme-switch"]', { state: "visible" })
    const box = await owner.page.locator('[data-testid="header-extras"]').boundingBox()
    assert.ok(box && box.x >= 0 && box.x + box.width <= 375, `menu on screen: ${JSON.stringify(box)}`)
    await owner.page.keyboard.press("Escape")

    const lang = await owner.page.evaluate(() => {
      const el = document.querySelector('[data-testid="status-language"]') as HTMLElement
      const bar = document.querySelector('[data-testid="statusbar"]') as HTMLElement
      return { text: el.textContent, scroll: el.scrollWidth, client: el.clientWidth, right: el.getBoundingClientRect().right, barRight: bar.getBoundingClientRect().right }
    })
    assert.equal(lang.text, "TypeScript")
    assert.ok(lang.scroll <= lang.client && lang.right <= lang.barRight, `language truncated: ${JSON.stringify(lang)}`)
  })
})

describe("download", () => {
  test("saves the code with the extension of the room's language", async () => {
    const room = await createRoomFull(server.url, "rust")
    const p = await person("Finn")
    await openRoom(p, server.url, room.room_id)
    await placeCaret(p.page, 0)
    await p.page.keyboard.type('fn main() {\n    println!("hi");\n}')
    const text = await waitForText(p.page, t => t.endsWith("}"))
    const grab = async () => {
      const [download] = await Promise.all([p.page.waitForEvent("download"), p.page.click('[data-testid="download"]')])
      return { name: download.suggestedFilename(), body: await readFile(await download.path(), "utf8") }
    }
    const rs = await grab()
    assert.equal(rs.name, `pairpad-${room.room_id.slice(0, 8)}.rs`)
    assert.equal(rs.body, text)

    await p.page.selectOption("header select", "python")
    await poll("language in the status bar", () => p.page.textContent('[data-testid="status-language"]'), v => v === "Python")
    const py = await grab()
    assert.equal(py.name, `pairpad-${room.room_id.slice(0, 8)}.py`)
    assert.equal(py.body, text)
  })
})

describe("follow mode", () => {
  /** Is the character at `pos` on screen in `page`'s editor? */
  const onScreen = (page: Page, pos: number) =>
    page.evaluate(p => {
      const v = window.__pairpad!.view
      const r = v.coordsAtPos(p)
      const s = v.scrollDOM.getBoundingClientRect()
      return !!r && r.top >= s.top && r.bottom <= s.bottom
    }, pos)
  const lineStart = (page: Page, line: number) => page.evaluate(n => window.__pairpad!.view.state.doc.line(n).from, line)
  /** Moves the caret to a line and scrolls it into view, as clicking there would. */
  const goTo = (page: Page, line: number) =>
    page.evaluate(n => {
      const v = window.__pairpad!.view
      const pos = v.state.doc.line(n).from
      v.focus()
      v.dispatch({ selection: { anchor: pos }, scrollIntoView: true, userEvent: "select" })
    }, line)
  const caretOf = (page: Page, name: string) => page.evaluate(n => window.__pairpad!.remoteCursors().find(c => c.name === n)?.head ?? null, name)

  test("click a person to follow their cursor and scroll; a keystroke or scroll ends it; the owner can present", async () => {
    const room = await createRoomFull(server.url, "python")
    const editLink = room.links.find(l => l.role === "editor")!
    const alice = await person("Alice", { color: "#e5484d" })
    const bob = await person("Bob", { color: "#30a46c" })
    await openRoom(alice, server.url, room.room_id)
    await placeCaret(alice.page, 0)
    const code = Array.from({ length: 300 }, (_, i) => `x${i + 1} = ${i + 1}`).join("\n")
    await alice.page.evaluate(t => window.__pairpad!.view.dispatch({ changes: { from: 0, insert: t } }), code)
    await openRoom(bob, server.url, room.room_id, editLink.url.startsWith("http") ? editLink.url : `${server.url}${editLink.url}`)
    await waitForText(bob.page, code)
    assert.equal(await bob.page.locator('[data-testid="present-toggle"]').count(), 0, "only the owner presents")

    // Bob follows Alice.
    await bob.page.click('[data-testid="peer-follow"]')
    await bob.page.waitForSelector('[data-testid="follow-indicator"]:has-text("Following Alice")')
    const line250 = await lineStart(bob.page, 250)
    await goTo(alice.page, 250)
    await poll("Bob's editor shows Alice's caret at line 250", () => onScreen(bob.page, line250), v => v)
    // Alice scrolls back to the top without moving her caret: Bob's view goes with her.
    await alice.page.evaluate(() => (window.__pairpad!.view.scrollDOM.scrollTop = 0))
    await poll("Bob's editor at Alice's scroll (line 1)", () => onScreen(bob.page, 0), v => v)
    assert.equal(await onScreen(bob.page, line250), false)

    // A keystroke of Bob's ends it: Alice moving on no longer moves him.
    await bob.page.keyboard.press("ArrowDown")
    await bob.page.waitForSelector('[data-testid="follow-indicator"]', { state: "detached" })
    const line200 = await lineStart(bob.page, 200)
    await goTo(alice.page, 200)
    await poll("Alice's caret reaches Bob", () => caretOf(bob.page, "Alice"), v => v === line200)
    assert.equal(await onScreen(bob.page, line200), false, "Bob stayed where he was")

    // Alice presents: Bob follows without doing anything.
    await alice.page.click('[data-testid="present-toggle"]')
    await bob.page.waitForSelector('[data-testid="follow-indicator"]:has-text("presenting")')
    await poll("Bob's editor shows line 200", () => onScreen(bob.page, line200), v => v)
    const line120 = await lineStart(bob.page, 120)
    await goTo(alice.page, 120)
    await poll("Bob's editor shows line 120", () => onScreen(bob.page, line120), v => v)

    // Bob scrolls with the wheel: he stops following, and this presentation lets him be.
    const editorBox = (await bob.page.locator(".cm-scroller").boundingBox())!
    await bob.page.mouse.move(editorBox.x + 100, editorBox.y + 100)
    await bob.page.mouse.wheel(0, 400)
    await bob.page.waitForSelector('[data-testid="follow-indicator"]', { state: "detached" })
    const line30 = await lineStart(bob.page, 30)
    await goTo(alice.page, 30)
    await poll("Alice's caret reaches Bob", () => caretOf(bob.page, "Alice"), v => v === line30)
    assert.equal(await onScreen(bob.page, line30), false, "not pulled back into the presentation")

    // A new presentation is followed again; stopping it releases Bob.
    await alice.page.click('[data-testid="present-toggle"]') // stop
    await alice.page.click('[data-testid="present-toggle"]') // start again
    await bob.page.waitForSelector('[data-testid="follow-indicator"]:has-text("presenting")')
    await poll("Bob's editor shows line 30", () => onScreen(bob.page, line30), v => v)
    await alice.page.click('[data-testid="present-toggle"]')
    await bob.page.waitForSelector('[data-testid="follow-indicator"]', { state: "detached" })
    assert.deepEqual([...alice.errors, ...bob.errors], [])
  })
})

describe("suggestions and the connection", () => {
  // Last: it restarts the server.
  test('"Suggestions unavailable" clears when the connection comes back', async () => {
    const room = await createRoomFull(server.url, "python")
    const p = await person("Gail", { suggestionsEnabled: true, suggestionDelayMs: 100 })
    await openRoom(p, server.url, room.room_id)
    await placeCaret(p.page, 0)
    await server.stop()
    await p.page.keyboard.type("def f(")
    await p.page.waitForSelector('[data-testid="suggestion-status"][data-status="error"]', { timeout: 10_000 })
    assert.equal((await p.page.textContent('[data-testid="suggestion-status"]'))?.trim(), "Suggestions unavailable")
    await p.page.waitForSelector('[data-testid="connection-status"]:not([data-status="connected"])')
    await server.start()
    await p.page.waitForSelector('[data-testid="connection-status"][data-status="connected"]', { timeout: 30_000 })
    await p.page.waitForSelector('[data-testid="suggestion-status"]:not([data-status="error"])', { state: "attached", timeout: 5_000 })
    assert.notEqual((await p.page.textContent('[data-testid="suggestion-status"]'))?.trim(), "Suggestions unavailable")
  })

})

describe("driver and navigator", () => {
  const readOnly = (page: Page) => page.getAttribute(".editor-host", "data-readonly")
  const who = (page: Page) => page.textContent('[data-testid="drive-who"]')

  test("only the driver types; the keyboard is asked for and handed over; the server refuses a navigator's edit", async () => {
    const room = await createRoomFull(server.url, "python")
    const editLink = room.links.find(l => l.role === "editor")!
    const linkUrl = editLink.url.startsWith("http") ? editLink.url : `${server.url}${editLink.url}`
    const alice = await person("Alice", { color: "#e5484d" })
    const bob = await person("Bob", { color: "#30a46c" })
    const carol = await person("Carol", { color: "#8e4ec6" })
    await openRoom(alice, server.url, room.room_id)
    await openRoom(bob, server.url, room.room_id, linkUrl)
    await openRoom(carol, server.url, room.room_id, linkUrl)
    for (const p of [alice, bob, carol]) await p.page.waitForFunction(() => document.querySelectorAll('[data-testid="peer-follow"]').length === 2)

    // Alice (the owner) turns the mode on and drives; the others' editors are read-only.
    await alice.page.click('[data-testid="drive-start"]')
    for (const p of [alice, bob, carol]) await p.page.waitForSelector('[data-testid="drive-bar"]')
    await poll("Alice drives at Bob's", () => who(bob.page), t => !!t?.includes("Alice is driving"))
    assert.match((await who(alice.page)) ?? "", /You are driving/)
    assert.equal(await readOnly(alice.page), "false")
    assert.equal(await readOnly(bob.page), "true")
    assert.equal(await readOnly(carol.page), "true")
    assert.equal(await bob.page.locator('[data-testid="drive-start"]').count(), 0, "no second start while on")

    await placeCaret(alice.page, 0)
    await alice.page.keyboard.type("print(1)")
    await waitForText(bob.page, "print(1)")
    // Bob types into his read-only editor: nothing happens.
    await bob.page.click(".cm-content")
    await bob.page.keyboard.type("zzz")
    assert.equal(await editorText(bob.page), "print(1)")

    // Bob asks; Alice sees it and hands over; now Bob types and Alice cannot.
    await bob.page.click('[data-testid="drive-request"]')
    await alice.page.waitForSelector('[data-testid="drive-request-item"]:has-text("Bob asks")')
    await bob.page.waitForSelector('[data-testid="drive-cancel"]')
    await alice.page.click('[data-testid="drive-give"]')
    await poll("Bob drives", () => who(bob.page), t => !!t?.includes("You are driving"))
    await poll("Alice navigates", () => readOnly(alice.page), v => v === "true")
    assert.equal(await readOnly(bob.page), "false")
    await placeCaret(bob.page, 8)
    await bob.page.keyboard.type("\nprint(2)")
    await waitForText(alice.page, "print(1)\nprint(2)")
    await waitForText(carol.page, "print(1)\nprint(2)")

    // Strong-style rotation: Bob sets a 5 minute reminder; Carol sees the countdown.
    await bob.page.selectOption('[data-testid="drive-rotation"]', String(5 * 60))
    await poll("Carol's countdown", () => carol.page.textContent('[data-testid="drive-rotate"]'), t => /switch in [45]:\d\d/.test(t ?? ""))

    // Carol's page forces an edit past the read-only editor: the server refuses it and
    // closes her connection; nobody else gets it.
    const refused = await metric(server.url, "pairpad_writes_refused_total")
    await carol.page.evaluate(() => window.__pairpad!.view.dispatch({ changes: { from: 0, insert: "HACK " } }))
    await poll("the refusal counted", () => metric(server.url, "pairpad_writes_refused_total"), n => n === refused + 1)
    await carol.page.waitForSelector('[data-testid="connection-status"][data-status="failed"]')
    assert.equal(await serverText(room.room_id), "print(1)\nprint(2)")
    assert.equal(await editorText(alice.page), "print(1)\nprint(2)")

    // The owner takes the keyboard back, then ends the mode: everyone edits again.
    await alice.page.click('[data-testid="drive-take"]')
    await poll("Alice drives again", () => who(bob.page), t => !!t?.includes("Alice is driving"))
    await alice.page.click('[data-testid="drive-end"]')
    await bob.page.waitForSelector('[data-testid="drive-bar"]', { state: "detached" })
    await poll("Bob edits again", () => readOnly(bob.page), v => v === "false")
    await placeCaret(bob.page, 0)
    await bob.page.keyboard.type("# ")
    await waitForText(alice.page, "# print(1)\nprint(2)")
    for (const p of [alice, bob]) assert.deepEqual(p.errors, [], `${p.name}: page errors`)
  })

  test("someone who opens the room while another drives is a navigator from the start and stays connected", async () => {
    const room = await createRoomFull(server.url, "python")
    const editLink = room.links.find(l => l.role === "editor")!
    const linkUrl = editLink.url.startsWith("http") ? editLink.url : `${server.url}${editLink.url}`
    const alice = await person("Alice", { color: "#e5484d" })
    await openRoom(alice, server.url, room.room_id)
    await alice.page.click('[data-testid="drive-start"]')
    await alice.page.waitForSelector('[data-testid="drive-bar"]')
    const refused = await metric(server.url, "pairpad_writes_refused_total")

    // Dan arrives after the grace of the handover (100 ms here): any write of his, his
    // name in the room's people map included, would close his socket with 4403.
    const dan = await person("Dan", { color: "#30a46c" })
    await openRoom(dan, server.url, room.room_id, linkUrl)
    await poll("Alice drives at Dan's", () => who(dan.page), t => !!t?.includes("Alice is driving"))
    assert.equal(await readOnly(dan.page), "true")
    await placeCaret(alice.page, 0)
    await alice.page.keyboard.type("print('driver')")
    await waitForText(dan.page, "print('driver')")
    await waitConnected(dan.page)
    assert.equal(await metric(server.url, "pairpad_writes_refused_total"), refused, "a write of Dan's was refused")

    // Once the mode ends, Dan writes (his name too) like anyone.
    await alice.page.click('[data-testid="drive-end"]')
    await poll("Dan edits again", () => readOnly(dan.page), v => v === "false")
    await placeCaret(dan.page, 0)
    await dan.page.keyboard.type("# ")
    await waitForText(alice.page, "# print('driver')")
    for (const p of [alice, dan]) assert.deepEqual(p.errors, [], `${p.name}: page errors`)
  })
})

describe("private notes", () => {
  test("the interviewer's notes reach a granted colleague and never a byte of them reaches the candidate", async () => {
    const room = await createRoomFull(server.url, "python")
    const editLink = room.links.find(l => l.role === "editor")!
    const abs = (u: string) => (u.startsWith("http") ? u : `${server.url}${u}`)
    // A colleague's link: editor, and the owner grants it the notes.
    const res = await ownerFetch(room.room_id, `${server.url}/rooms/${room.room_id}/links`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ role: "editor", label: "second interviewer", notes: true }),
    })
    assert.equal(res.status, 201)
    const colleagueLink = (await res.json()) as { url: string; token: string; notes: boolean }
    assert.equal(colleagueLink.notes, true)

    const alice = await person("Alice", { color: "#e5484d" })
    const candidate = await person("Casey", { color: "#30a46c" })
    const colleague = await person("Cole", { color: "#8e4ec6" })
    // Every byte the candidate's browser receives, on every socket it opens.
    const candidateFrames: Buffer[] = []
    candidate.page.on("websocket", ws => ws.on("framereceived", f => candidateFrames.push(Buffer.from(f.payload as string | Buffer))))
    const aliceSent: Buffer[] = []
    alice.page.on("websocket", ws => {
      if (ws.url().includes("/notes")) ws.on("framesent", f => aliceSent.push(Buffer.from(f.payload as string | Buffer)))
    })
    await openRoom(alice, server.url, room.room_id)
    await openRoom(candidate, server.url, room.room_id, abs(editLink.url))
    await openRoom(colleague, server.url, room.room_id, abs(colleagueLink.url))

    assert.equal(await candidate.page.locator('[data-testid="notes-toggle"]').count(), 0, "the candidate has no notes button")
    const denied = await fetch(`${server.url}/rooms/${room.room_id}/notes`, { headers: { Authorization: `Bearer ${editLink.token}` } })
    assert.equal(denied.status, 403)

    // Alice writes her assessment while the candidate codes.
    const secret = "Strong on tests; ask about naming"
    await alice.page.click('[data-testid="notes-toggle"]')
    await alice.page.waitForSelector('[data-testid="notes-editor"] .cm-content')
    await alice.page.click('[data-testid="notes-editor"] .cm-content')
    // Pasted, so the phrase travels as one run of bytes (typed text is one change per key).
    await alice.page.evaluate(t => window.__pairpadNotes!.view.dispatch({ changes: { from: 0, insert: t }, userEvent: "input.paste" }), secret)
    await placeCaret(candidate.page, 0)
    await candidate.page.keyboard.type("def solve(): pass")
    await waitForText(alice.page, "def solve(): pass")

    // The colleague granted notes reads them live.
    await colleague.page.click('[data-testid="notes-toggle"]')
    await poll("the colleague's notes", () => colleague.page.evaluate(() => window.__pairpadNotes?.text() ?? ""), t => t === secret)
    await alice.page.click('[data-testid="notes-editor"] .cm-content')
    await alice.page.keyboard.press("End")
    await alice.page.keyboard.type(" (good)")
    await poll("the colleague's notes, live", () => colleague.page.evaluate(() => window.__pairpadNotes?.text() ?? ""), t => t === secret + " (good)")
    const notes = await ownerFetch(room.room_id, `${server.url}/rooms/${room.room_id}/notes`)
    const info = (await notes.json()) as { document_id: string; text: string }
    assert.equal(info.text, secret + " (good)")
    await alice.page.screenshot({ path: join(ARTIFACTS, "notes.png"), clip: { x: 0, y: 0, width: 1200, height: 300 } })

    // The check can see the notes in frames: Alice's notes socket carried them...
    const contains = (frames: Buffer[], s: string) => frames.some(f => f.includes(Buffer.from(s)))
    assert.ok(contains(aliceSent, "Strong on tests"), "the frame check sees notes text where it is sent")
    // ...and the candidate's browser never received any of it, nor the notes' id.
    assert.ok(candidateFrames.length > 5, `the candidate's frames were captured (${candidateFrames.length})`)
    for (const s of ["Strong on tests", "naming", "(good)", info.document_id]) assert.ok(!contains(candidateFrames, s), `the candidate received ${s}`)
    assert.equal(await candidate.page.evaluate(() => window.__pairpadNotes === undefined), true)
    for (const p of [alice, candidate, colleague]) assert.deepEqual(p.errors, [], `${p.name}: page errors`)
  })
})

describe("blame", () => {
  test("blame tints the code by author, and the hover card says who and how", async () => {
    const room = await createRoomFull(server.url, "python")
    const alice = await person("Alice", { color: "#e5484d" })
    const bob = await person("Bob", { color: "#30a46c" })
    await openRoom(alice, server.url, room.room_id)
    await openRoom(bob, server.url, room.room_id)
    await placeCaret(alice.page, 0)
    await alice.page.keyboard.type("alpha = 1\n")
    await waitForText(bob.page, "alpha = 1\n")
    await placeCaret(bob.page, 10)
    await bob.page.keyboard.type("bravo = 2")
    await waitForText(alice.page, "alpha = 1\nbravo = 2")
    const actor = (p: Page) => p.evaluate(r => localStorage.getItem(`pairpad:actor:${r}`), room.room_id)
    const [aliceActor, bobActor] = [await actor(alice.page), await actor(bob.page)]

    // Alice turns blame on: each person's characters carry their actor and colour.
    await alice.page.click('[data-testid="blame-toggle"]')
    assert.equal(await alice.page.getAttribute('[data-testid="blame-toggle"]', "aria-pressed"), "true")
    const tinted = (actorId: string | null) =>
      alice.page.$$eval(`.cm-blame[data-actor="${actorId}"]`, els => els.map(e => e.textContent).join(""))
    await poll("Alice's text tinted as hers", () => tinted(aliceActor), t => t === "alpha = 1")
    await poll("Bob's text tinted as his", () => tinted(bobActor), t => t === "bravo = 2")
    const style = await alice.page.getAttribute(`.cm-blame[data-actor="${bobActor}"]`, "style")
    assert.match(style ?? "", /rgb\(48, 164, 108\)|#30a46c/) // Bob's colour, as the browser writes it

    // Hovering Bob's code shows a card naming him and how he wrote it.
    await alice.page.hover(`.cm-blame[data-actor="${bobActor}"]`)
    const card = await alice.page.waitForSelector('[data-testid="blame-card"]', { timeout: 5_000 })
    assert.match((await card.textContent()) ?? "", /Bob.*typed/)
    // The picture in client/README.md (copied to client/docs/blame.png by hand).
    await alice.page.screenshot({ path: join(ARTIFACTS, "blame.png"), clip: { x: 0, y: 0, width: 900, height: 260 } })

    // New text is attributed after the refresh; switching off removes every tint.
    await placeCaret(bob.page, 0)
    await bob.page.keyboard.type("# b\n")
    await poll("Bob's new line tinted", () => tinted(bobActor), t => t.includes("# b") && t.includes("bravo = 2"), 10_000)
    await alice.page.click('[data-testid="blame-toggle"]')
    await poll("no tint when off", () => alice.page.$$eval(".cm-blame", els => els.length), n => n === 0)
    assert.deepEqual(alice.errors, [])
    assert.deepEqual(bob.errors, [])
  })
})

describe("since you left", () => {
  test("text written while you were away is highlighted until you dismiss it", async () => {
    const room = await createRoomFull(server.url, "python")
    const alice = await person("Alice")
    const bob = await person("Bob")
    await openRoom(alice, server.url, room.room_id)
    await placeCaret(alice.page, 0)
    await alice.page.keyboard.type("shared = 1\n")
    await openRoom(bob, server.url, room.room_id)
    await waitForText(bob.page, "shared = 1\n")
    // Alice leaves the room (to the home page); Bob writes meanwhile.
    await alice.page.goto(server.url + "/")
    await alice.page.waitForSelector('[data-testid="create-room"]')
    await placeCaret(bob.page, 11)
    await bob.page.keyboard.type("while_away = 2")
    await poll("Bob's line on the server", async () => (await ownerFetch(room.room_id, `${server.url}/rooms/${room.room_id}/text`)).text(), t => t.endsWith("while_away = 2"))
    // Back: a banner, and exactly Bob's new text marked.
    await openRoom(alice, server.url, room.room_id)
    await waitForText(alice.page, "shared = 1\nwhile_away = 2")
    await alice.page.waitForSelector('[data-testid="since-left-banner"]', { timeout: 10_000 })
    const marked = () => alice.page.$$eval('[data-testid="since-left-mark"]', els => els.map(e => e.textContent).join(""))
    assert.equal(await marked(), "while_away = 2")
    // Dismissed: gone, and not shown again on the next visit (nothing new since).
    await alice.page.click('[data-testid="since-left-dismiss"]')
    await poll("no marks after dismissing", marked, m => m === "")
    assert.equal(await alice.page.locator('[data-testid="since-left-banner"]').count(), 0)
    await alice.page.reload()
    await waitForText(alice.page, "shared = 1\nwhile_away = 2")
    await waitConnected(alice.page)
    assert.equal(await alice.page.locator('[data-testid="since-left-banner"]').count(), 0)
    assert.deepEqual(alice.errors, [])
  })
})

describe("version link", () => {
  test("a copied version link shows the code as it was then, read-only, with a way back to live", async () => {
    const room = await createRoomFull(server.url, "python")
    const alice = await person("Alice")
    const bob = await person("Bob")
    await alice.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url })
    await openRoom(alice, server.url, room.room_id)
    await openRoom(bob, server.url, room.room_id)
    await placeCaret(alice.page, 0)
    await alice.page.keyboard.type("v1 = 1")
    await waitForText(bob.page, "v1 = 1")
    await alice.page.click('[data-testid="copy-version-link"]')
    const link = await poll("the link on the clipboard", () => alice.page.evaluate(() => navigator.clipboard.readText()), t => t.includes("?v="))
    assert.match(link, new RegExp(`^${server.url}/room/${room.room_id}\\?v=[0-9a-f]{64}(,[0-9a-f]{64})*$`))
    await placeCaret(alice.page, 6) // the button took the focus
    await alice.page.keyboard.type("\nv2 = 2")
    await waitForText(bob.page, "v1 = 1\nv2 = 2")

    // Bob (who has access) opens the link: that version, read-only; then back to live.
    await bob.page.goto(link)
    const shown = await bob.page.waitForSelector('[data-testid="version-text"]', { timeout: 10_000 })
    assert.equal(await shown.textContent(), "v1 = 1")
    assert.equal(await bob.page.locator('[data-testid="editor"]').count(), 0)
    await bob.page.click('[data-testid="version-back"]')
    await waitForText(bob.page, "v1 = 1\nv2 = 2")
    assert.equal(new URL(bob.page.url()).search, "")
    assert.deepEqual(bob.errors, [])
  })
})

describe("timeline", () => {
  test("plays back the room's history with a track per person; any moment's code can be shown", async () => {
    const room = await createRoomFull(server.url, "python")
    const alice = await person("Alice", { color: "#e5484d" })
    const bob = await person("Bob", { color: "#30a46c" })
    await openRoom(alice, server.url, room.room_id)
    await openRoom(bob, server.url, room.room_id)
    await placeCaret(alice.page, 0)
    await alice.page.keyboard.type("first = 1\n")
    await waitForText(bob.page, "first = 1\n")
    await placeCaret(bob.page, 10)
    await bob.page.keyboard.type("second = 2")
    await waitForText(alice.page, "first = 1\nsecond = 2")
    // Bob pastes a line through the browser's paste event: a paste marker on his track.
    await bob.page.evaluate(text => {
      const dt = new DataTransfer()
      dt.setData("text/plain", text)
      window.__pairpad!.view.contentDOM.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }))
    }, "\nthird = 3")
    const final = "first = 1\nsecond = 2\nthird = 3"
    await waitForText(alice.page, final)
    await poll("the server has it", async () => (await ownerFetch(room.room_id, `${server.url}/rooms/${room.room_id}/text`)).text(), t => t === final)
    await alice.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url })

    await alice.page.click('[data-testid="timeline-toggle"]')
    const shown = () => alice.page.textContent('[data-testid="timeline-text"]')
    // Opens at the last change: the code as it is now.
    await poll("the latest version", shown, t => t === final)
    await alice.page.waitForSelector('[data-testid="timeline"][data-ready="true"]')
    assert.equal(await shown(), final, "the history's last change is the code as it is now")
    const tracks = await alice.page.$$eval('[data-testid="timeline-tracks"] g[data-actor]', gs => gs.length)
    assert.ok(tracks >= 2, `${tracks} person tracks`)
    const bobActor = await actorOf(bob.page, room.room_id)
    const marks = await alice.page.$$eval('[data-testid="timeline-tracks"] g[data-actor] .timeline-mark', els =>
      els.map(e => ({ actor: e.closest("g")!.getAttribute("data-actor"), kind: e.getAttribute("data-kind") })),
    )
    assert.deepEqual(marks, [{ actor: bobActor, kind: "paste" }], "one paste marker, on Bob's track")
    // The picture in client/README.md (copied to client/docs/timeline.png by hand).
    await alice.page.screenshot({ path: join(ARTIFACTS, "timeline.png"), clip: { x: 0, y: 0, width: 1000, height: 260 } })
    // The start of history: before anyone typed.
    await alice.page.fill('[data-testid="timeline-slider"]', "0")
    await poll("the first version", shown, t => t === "")
    // An earlier moment's code, copied: the version before Bob's paste.
    const beforePaste = Number(await alice.page.getAttribute('[data-testid="timeline-slider"]', "max")) - 1
    await alice.page.fill('[data-testid="timeline-slider"]', String(beforePaste))
    await poll("the version before the paste", shown, t => t === "first = 1\nsecond = 2")
    await alice.page.click('[data-testid="timeline-copy"]')
    await poll("that code on the clipboard", () => alice.page.evaluate(() => navigator.clipboard.readText()), t => t === "first = 1\nsecond = 2")
    await alice.page.fill('[data-testid="timeline-slider"]', "0")
    await poll("the first version again", shown, t => t === "")
    // Play: it moves forward through every version to the end, each a prefix of the way there.
    await alice.page.selectOption('[data-testid="timeline-speed"]', "8")
    await alice.page.click('[data-testid="timeline-play"]')
    const seen = new Set<string>()
    await poll(
      "playback to reach the end",
      async () => {
        const t = (await shown()) ?? ""
        seen.add(t)
        return t
      },
      t => t === final,
      20_000,
    )
    assert.ok([...seen].some(t => t.length > 0 && t.length < final.length), "an intermediate version was shown")
    await alice.page.click('[data-testid="timeline-close"]')
    await waitForText(alice.page, final)
    assert.deepEqual(alice.errors, [])
  })
})

