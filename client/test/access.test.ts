import { describe, expect, it } from "vitest"
import { makeStore } from "../src/app/store"
import { memoryStore } from "../src/lib/storage"
import { forgetToken, loadToken, saveToken, tokenFromHash, tokenFromLink } from "../src/lib/tokens"
import { roleChanged, roomInfoReceived, roomOpened, roomUnauthorized } from "../src/features/room/roomSlice"
import { selectReadOnly } from "../src/app/selectors"
import { parseRoleNotice } from "../src/app/roomSession"
import { parsePresenceMessage, stateMessage } from "../src/features/presence/protocol"
import { presenceReceived } from "../src/features/presence/presenceSlice"

const info = (role?: "viewer" | "editor" | "owner") => ({
  room_id: "r1",
  language: "python",
  created_at: "",
  updated_at: "",
  peers: 0,
  size_bytes: 0,
  ...(role ? { role, link_id: "L1" } : {}),
})

describe("room tokens", () => {
  it("keeps one token per room", () => {
    const kv = memoryStore()
    expect(loadToken("a", kv)).toBeNull()
    saveToken("a", "t1", kv)
    saveToken("b", "t2", kv)
    saveToken("a", "t3", kv)
    expect(loadToken("a", kv)).toBe("t3")
    expect(loadToken("b", kv)).toBe("t2")
    forgetToken("a", kv)
    expect(loadToken("a", kv)).toBeNull()
    kv.setItem("pairpad.tokens", "{not json")
    expect(loadToken("b", kv)).toBeNull()
  })
  it("reads tokens from fragments and pasted links", () => {
    expect(tokenFromHash("#token=abc.def.ghi")).toBe("abc.def.ghi")
    expect(tokenFromHash("#x=1")).toBeNull()
    expect(tokenFromHash("")).toBeNull()
    expect(tokenFromLink("https://h/room/xyz#token=a.b.c")).toBe("a.b.c")
    expect(tokenFromLink("https://h/room/xyz?token=a.b.c")).toBe("a.b.c")
    expect(tokenFromLink("https://h/room/xyz")).toBeNull()
  })
})

describe("roles in the room slice", () => {
  it("takes the role from room info, changes it live, and treats old servers as editor", () => {
    const s = makeStore(memoryStore())
    s.dispatch(roomOpened("r1"))
    s.dispatch(roomInfoReceived(info("viewer")))
    expect(s.getState().room.role).toBe("viewer")
    expect(s.getState().room.linkId).toBe("L1")
    expect(selectReadOnly(s.getState())).toBe(true)
    s.dispatch(roleChanged("editor"))
    expect(selectReadOnly(s.getState())).toBe(false)
    s.dispatch(roomInfoReceived(info()))
    expect(s.getState().room.role).toBe("editor")
    s.dispatch(roomUnauthorized("other-room"))
    expect(s.getState().room.phase).toBe("loading")
    s.dispatch(roomUnauthorized("r1"))
    expect(s.getState().room.phase).toBe("unauthorized")
  })
  it("parses only well-formed role notices", () => {
    expect(parseRoleNotice({ t: "pairpad/role", role: "editor" })).toBe("editor")
    expect(parseRoleNotice({ t: "pairpad/role", role: "admin" })).toBeNull()
    expect(parseRoleNotice({ t: "pairpad/presence", role: "owner" })).toBeNull()
    expect(parseRoleNotice(null)).toBeNull()
  })
  it("carries role and link in presence, and drops bogus roles", () => {
    const m = parsePresenceMessage(stateMessage(1, { name: "Ann", color: "#fff", role: "viewer", link: "L9" }, null))
    expect(m).toMatchObject({ role: "viewer", link: "L9" })
    const bogus = parsePresenceMessage({ ...stateMessage(1, { name: "Ann", color: "#fff" }, null), role: "god" })
    expect(bogus && "role" in bogus).toBe(false)
    const s = makeStore(memoryStore())
    s.dispatch(presenceReceived({ peerId: "p", message: m!, at: 1 }))
    expect(s.getState().presence.peers.p).toMatchObject({ role: "viewer", linkId: "L9" })
  })
})
