/**
 * Issue 4 (client part) end to end: ghost-text suggestions after a typing pause,
 * against the real server's mock engine, plus routed answers where timing matters.
 */
import { after, before, describe, test } from "node:test"
import assert from "node:assert/strict"
import { join } from "node:path"
import type { Browser, Page, Route } from "playwright-core"
import {
  ARTIFACTS,
  createRoom,
  editorText,
  launchBrowser,
  newPerson,
  openRoom,
  placeCaret,
  poll,
  startServer,
  waitForText,
  type Person,
  type ServerHandle,
} from "./harness"

let server: ServerHandle
let browser: Browser
const people: Person[] = []

before(async () => {
  server = await startServer({ name: "autocomplete" })
  browser = await launchBrowser()
})

after(async () => {
  for (const p of people.splice(0)) await p.context.close().catch(() => undefined)
  await browser?.close().catch(() => undefined)
  await server?.stop()
  server?.cleanup()
})

const ghost = (page: Page) => page.evaluate(() => document.querySelector(".cm-ghost-text")?.textContent ?? null)

/** Records every ghost text that is ever put on screen (to prove a stale one never was). */
async function recordGhosts(page: Page) {
  await page.evaluate(() => {
    const seen: string[] = []
    ;(window as unknown as { __ghosts: string[] }).__ghosts = seen
    new MutationObserver(() => {
      const g = document.querySelector(".cm-ghost-text")?.textContent ?? "(none)"
      if (seen[seen.length - 1] !== g && !(g === "(none)" && seen.length === 0)) seen.push(g)
    }).observe(document.querySelector(".cm-content")!, { childList: true, subtree: true, characterData: true })
  })
}
const ghostsSeen = (page: Page) => page.evaluate(() => (window as unknown as { __ghosts: string[] }).__ghosts)

describe("autocomplete ghost text", () => {
  test("Python: def fibonacci(n): + Enter, pause → ghost; Tab accepts; the other browser sees it", async () => {
    const room = await createRoom(server.url, "python")
    const alice = await newPerson(browser, "Alice", { suggestionsEnabled: true, suggestionDelayMs: 500 })
    const bob = await newPerson(browser, "Bob", { suggestionsEnabled: false })
    people.push(alice, bob)
    await openRoom(alice, server.url, room)
    await openRoom(bob, server.url, room)
    const requests: string[] = []
    alice.page.on("request", r => {
      if (r.url().endsWith("/autocomplete")) requests.push(r.postData() ?? "")
    })
    bob.page.on("request", r => {
      if (r.url().endsWith("/autocomplete")) assert.fail("Bob has suggestions off and must not ask")
    })

    await placeCaret(alice.page, 0)
    await alice.page.keyboard.type("def fibonacci(n):")
    await alice.page.keyboard.press("Enter")
    const g = await poll("ghost text", () => ghost(alice.page), v => !!v && v.length > 0, 5000)
    assert.match(g!, /^if n < 2:/)
    // It's only decoration: not in the document, not for Bob.
    assert.equal(await editorText(alice.page), "def fibonacci(n):\n    ")
    assert.equal(await ghost(bob.page), null)
    // The request carried the code, the UTF-16 cursor and the language.
    const req = JSON.parse(requests[requests.length - 1])
    assert.deepEqual({ code: req.code, cursor: req.cursor, language: req.language }, { code: "def fibonacci(n):\n    ", cursor: 22, language: "python" })
    // No popup stole focus.
    assert.ok(await alice.page.evaluate(() => !!document.activeElement?.closest(".cm-content")))
    assert.equal(await alice.page.locator(".cm-tooltip-autocomplete").count(), 0)
    await alice.page.screenshot({ path: join(ARTIFACTS, "ghost-text.png") })

    await alice.page.keyboard.press("Tab")
    const accepted = "def fibonacci(n):\n    " + g!
    await waitForText(alice.page, accepted)
    assert.equal(await ghost(alice.page), null)
    await waitForText(bob.page, accepted)
    // The caret is after the inserted text.
    assert.equal(await alice.page.evaluate(() => window.__pairpad!.view.state.selection.main.head), accepted.length)
  })

  test("typing what the ghost says keeps the rest; Esc dismisses", async () => {
    const room = await createRoom(server.url, "python")
    const alice = await newPerson(browser, "Alice", { suggestionsEnabled: true, suggestionDelayMs: 300 })
    people.push(alice)
    await alice.page.route("**/autocomplete", (route: Route) =>
      route.fulfill({
        status: 200,
        contentType: "application/json",
        body: JSON.stringify({ suggestions: [{ text: "print(fibonacci(10))", label: "print", kind: "snippet" }], engine: "test", took_ms: 0 }),
      }),
    )
    await openRoom(alice, server.url, room)
    await recordGhosts(alice.page)
    await placeCaret(alice.page, 0)
    await alice.page.keyboard.type("x = 1\n")
    await poll("ghost", () => ghost(alice.page), v => v === "print(fibonacci(10))", 5000)
    await alice.page.keyboard.type("pri")
    await poll("narrowed ghost", () => ghost(alice.page), v => v === "nt(fibonacci(10))", 2000)
    // Each keystroke shortened it; it never vanished in between (no flicker).
    assert.deepEqual(await ghostsSeen(alice.page), ["print(fibonacci(10))", "rint(fibonacci(10))", "int(fibonacci(10))", "nt(fibonacci(10))"])
    await alice.page.keyboard.press("Escape")
    await poll("ghost gone", () => ghost(alice.page), v => v === null, 2000)
    assert.equal(await editorText(alice.page), "x = 1\npri")
  })

  test("a keystroke before the answer arrives: the stale suggestion never shows", async () => {
    const room = await createRoom(server.url, "python")
    const alice = await newPerson(browser, "Alice", { suggestionsEnabled: true, suggestionDelayMs: 200 })
    people.push(alice)
    let n = 0
    let releaseFirst: () => void = () => {}
    const firstHeld = new Promise<void>(r => (releaseFirst = r))
    let firstArrived: () => void = () => {}
    const firstSeen = new Promise<void>(r => (firstArrived = r))
    await alice.page.route("**/autocomplete", async (route: Route) => {
      const i = ++n
      if (i === 1) {
        firstArrived()
        await firstHeld // hold the first answer until after the next keystroke
      }
      await route
        .fulfill({
          status: 200,
          contentType: "application/json",
          body: JSON.stringify({ suggestions: [{ text: i === 1 ? "STALE" : "FRESH", label: "x", kind: "snippet" }], engine: "test", took_ms: 0 }),
        })
        .catch(() => undefined) // the browser aborted it: fine, that's the point
    })
    await openRoom(alice, server.url, room)
    await recordGhosts(alice.page)
    await placeCaret(alice.page, 0)
    await alice.page.keyboard.type("a = ")
    await firstSeen
    await alice.page.keyboard.type("b")
    releaseFirst()
    await poll("fresh ghost", () => ghost(alice.page), v => v === "FRESH", 5000)
    assert.deepEqual(await ghostsSeen(alice.page), ["FRESH"])
    assert.equal(n, 2, "one request per pause")
    assert.equal(await editorText(alice.page), "a = b")
  })

  test("switching suggestions off stops requests", async () => {
    const room = await createRoom(server.url, "python")
    const alice = await newPerson(browser, "Alice", { suggestionsEnabled: true, suggestionDelayMs: 200 })
    people.push(alice)
    let count = 0
    await alice.page.route("**/autocomplete", (route: Route) => {
      count++
      return route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify({ suggestions: [{ text: "ON", label: "x", kind: "k" }], engine: "t", took_ms: 0 }) })
    })
    await openRoom(alice, server.url, room)
    await placeCaret(alice.page, 0)
    await alice.page.keyboard.type("q")
    await poll("ghost while on", () => ghost(alice.page), v => v === "ON", 5000)
    await alice.page.click('[data-testid="suggestions-toggle"]')
    assert.equal(await alice.page.getAttribute('[data-testid="suggestions-toggle"]', "aria-pressed"), "false")
    const before = count
    await placeCaret(alice.page, 1)
    await alice.page.keyboard.type("w")
    await waitForText(alice.page, "qw")
    // A negative claim needs the pause to pass: wait 4× the 200 ms pause, then check.
    await alice.page.waitForTimeout(800)
    assert.equal(count, before)
    assert.equal(await ghost(alice.page), null)
  })

  test("Ctrl-Space lists the language's own completions (names in scope) next to the AI's", async () => {
    const room = await createRoom(server.url, "typescript")
    const alice = await newPerson(browser, "Alice", { suggestionsEnabled: false })
    people.push(alice)
    await openRoom(alice, server.url, room)
    await placeCaret(alice.page, 0)
    await alice.page.keyboard.type("const fooBarBaz = 1\nfooB")
    await waitForText(alice.page, "const fooBarBaz = 1\nfooB")
    await alice.page.keyboard.press("Control+Space")
    const labels = await poll(
      "completion popup",
      () => alice.page.evaluate(() => [...document.querySelectorAll(".cm-tooltip-autocomplete .cm-completionLabel")].map(e => e.textContent)),
      v => v.length > 0,
      5000,
    )
    assert.ok(labels.includes("fooBarBaz"), `popup lists the name in scope: ${JSON.stringify(labels)}`)
    // (a click, not Enter: CodeMirror ignores Enter for 75 ms after the popup opens)
    const option = await alice.page.evaluate(
      () => [...document.querySelectorAll(".cm-tooltip-autocomplete li")].find(li => li.querySelector(".cm-completionLabel")?.textContent === "fooBarBaz")?.id,
    )
    assert.ok(option, "an option to click")
    await alice.page.click(`[id="${option}"]`)
    await waitForText(alice.page, "const fooBarBaz = 1\nfooBarBaz")
  })
})
