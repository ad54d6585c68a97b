import { describe, expect, it } from "vitest"
import { parseRoomInput, isValidRoomId } from "../src/lib/roomId"
import { loadRecentRooms, rememberRoom, forgetRoom, MAX_RECENT, RECENT_KEY } from "../src/lib/recentRooms"
import { memoryStore } from "../src/lib/storage"
import { normalizeLanguage } from "../src/lib/languages"
import { createApi, ApiError } from "../src/lib/api"
import { generateAutomergeUrl, parseAutomergeUrl, ImmutableString } from "@automerge/automerge-repo"
import * as A from "@automerge/automerge"

const ID = parseAutomergeUrl(generateAutomergeUrl()).documentId as string

describe("room id parsing", () => {
  it("accepts ids, automerge urls, paths and full links", () => {
    expect(parseRoomInput(ID)).toBe(ID)
    expect(parseRoomInput(`  ${ID}  `)).toBe(ID)
    expect(parseRoomInput(`automerge:${ID}`)).toBe(ID)
    expect(parseRoomInput(`/room/${ID}`)).toBe(ID)
    expect(parseRoomInput(`https://pairpad.example:8080/room/${ID}?x=1#top`)).toBe(ID)
    expect(parseRoomInput(`http://localhost/room/${ID}/`)).toBe(ID)
  })
  it("rejects junk and ids with a bad checksum", () => {
    expect(parseRoomInput("")).toBeNull()
    expect(parseRoomInput("hello world")).toBeNull()
    expect(parseRoomInput("https://example.com/")).toBeNull()
    const broken = ID.slice(0, -1) + (ID.endsWith("a") ? "b" : "a")
    expect(isValidRoomId(broken)).toBe(false)
    expect(isValidRoomId("0OIl")).toBe(false)
  })
})

describe("recent rooms", () => {
  it("keeps the most recent first, dedupes and caps the list", () => {
    const kv = memoryStore()
    const ids = Array.from({ length: MAX_RECENT + 3 }, () => parseAutomergeUrl(generateAutomergeUrl()).documentId as string)
    ids.forEach((id, i) => rememberRoom(kv, { id, language: "python", visitedAt: i, preview: `line ${i}` }))
    rememberRoom(kv, { id: ids[5], language: "go", visitedAt: 100, preview: "again" })
    const list = loadRecentRooms(kv)
    expect(list).toHaveLength(MAX_RECENT)
    expect(list[0]).toMatchObject({ id: ids[5], language: "go", preview: "again" })
    expect(new Set(list.map(r => r.id)).size).toBe(list.length)
    expect(forgetRoom(kv, ids[5]).some(r => r.id === ids[5])).toBe(false)
  })
  it("survives garbage", () => {
    const kv = memoryStore()
    kv.setItem(RECENT_KEY, JSON.stringify([{ id: "nope", visitedAt: 1 }, null, 5, { id: ID, visitedAt: 2, language: "xx" }]))
    expect(loadRecentRooms(kv)).toEqual([{ id: ID, visitedAt: 2, language: "plaintext", preview: "" }])
  })
})

describe("languages", () => {
  it("normalizes names and aliases", () => {
    expect(normalizeLanguage("Python")).toBe("python")
    expect(normalizeLanguage("golang")).toBe("go")
    expect(normalizeLanguage("C++")).toBe("cpp")
    expect(normalizeLanguage("cobol")).toBe("plaintext")
    expect(normalizeLanguage(undefined)).toBe("plaintext")
  })
  it("reads the Go server's scalar string (ImmutableString in Automerge JS 3)", () => {
    expect(normalizeLanguage(new ImmutableString("go"))).toBe("go")
    const doc = A.from({ language: new ImmutableString("rust") })
    expect(typeof doc.language).toBe("object")
    expect(normalizeLanguage(doc.language)).toBe("rust")
  })
})

describe("api client", () => {
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } })

  it("returns the created room", async () => {
    const api = createApi(async (url, init) => {
      expect(url).toBe("/rooms")
      expect(JSON.parse(String(init?.body))).toEqual({ language: "go" })
      return json(201, { room_id: ID, url: `/room/${ID}` })
    })
    expect((await api.createRoom("go")).room_id).toBe(ID)
  })

  it("reads the text's version and who drives from GET /text's headers", async () => {
    const h = "ab".repeat(32)
    const text = (headers: Record<string, string>) => createApi(async () => new Response("code", { status: 200, headers })).text(ID, null)
    expect(await text({ "X-Pairpad-Heads": `${h},nothex` })).toEqual({ text: "code", heads: [h], drive: null })
    expect((await text({ "X-Pairpad-Drive": "on", "X-Pairpad-Driver": "browser-1" })).drive).toEqual({ driver: "browser-1" })
    expect((await text({ "X-Pairpad-Drive": "on" })).drive).toEqual({ driver: "" })
    expect((await text({ "X-Pairpad-Drive": "off", "X-Pairpad-Driver": "browser-1" })).drive).toBeNull()
  })

  it("maps the server's error shape", async () => {
    const api = createApi(async () => json(404, { error: { code: "room_not_found", message: "no such room" } }))
    const err = await api.getRoom(ID).catch(e => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 404, code: "room_not_found", message: "no such room" })
  })

  it("reports Retry-After on 429", async () => {
    const api = createApi(async () => json(429, { error: { code: "rate_limited", message: "slow down" } }, { "Retry-After": "2" }))
    const err = await api.autocomplete({ code: "", cursor: 0, language: "python" }).catch(e => e)
    expect(err).toMatchObject({ status: 429, retryAfterMs: 2000 })
  })

  it("says the server is unreachable when fetch fails", async () => {
    const api = createApi(async () => {
      throw new TypeError("Failed to fetch")
    })
    const err = await api.createRoom("python").catch(e => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.unreachable).toBe(true)
    expect(err.message).toMatch(/reach/)
  })

  it("passes aborts through untouched", async () => {
    const api = createApi(async () => {
      throw new DOMException("aborted", "AbortError")
    })
    const err = await api.autocomplete({ code: "", cursor: 0, language: "python" }).catch(e => e)
    expect(err.name).toBe("AbortError")
  })

  it("explains a proxy's 502 without a JSON body", async () => {
    const api = createApi(async () => new Response("Bad Gateway", { status: 502 }))
    const err = await api.getRoom(ID).catch(e => e)
    expect(err).toMatchObject({ status: 502 })
    expect(err.message).toMatch(/not responding/)
  })
})
