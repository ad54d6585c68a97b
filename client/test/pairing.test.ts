import { describe, expect, it } from "vitest"
import { assignColors, PEER_COLORS } from "../src/features/presence/colors"
import { followAction, followReducer, followStarted, followStopped, initialFollowState, presentingChanged } from "../src/features/follow/followSlice"
import { downloadName } from "../src/lib/download"
import { loadPreferences, PREFERENCES_KEY, themeChanged, preferencesReducer, defaultPreferences } from "../src/features/preferences/preferencesSlice"
import { parsePresenceMessage, stateMessage } from "../src/features/presence/protocol"
import { memoryStore } from "../src/lib/storage"
import { makeStore } from "../src/app/store"
import { presenceReceived, selfPeerIdSet, selfSinceSet } from "../src/features/presence/presenceSlice"
import { colorChanged } from "../src/features/preferences/preferencesSlice"
import { selectPeerList, selectSelf } from "../src/app/selectors"

describe("assignColors", () => {
  it("gives earlier arrivals their choice and later ones distinct unused colours", () => {
    const blue = "#0090ff"
    const out = assignColors([
      { id: "c", preferred: blue, since: 30 },
      { id: "a", preferred: blue, since: 10 },
      { id: "b", preferred: blue, since: 20 },
    ])
    expect(out.a).toBe(blue)
    expect(new Set(Object.values(out)).size).toBe(3)
    // Same answer whatever order the people are listed in.
    expect(assignColors([{ id: "b", preferred: blue, since: 20 }, { id: "a", preferred: blue, since: 10 }, { id: "c", preferred: blue, since: 30 }])).toEqual(out)
  })

  it("shares colours only once the palette is used up", () => {
    const people = Array.from({ length: PEER_COLORS.length + 2 }, (_, i) => ({ id: `p${i}`, preferred: PEER_COLORS[0], since: i }))
    const out = assignColors(people)
    const firstN = people.slice(0, PEER_COLORS.length).map(p => out[p.id])
    expect(new Set(firstN).size).toBe(PEER_COLORS.length)
  })

  it("keeps a person's own colour when nobody else has it", () => {
    expect(assignColors([{ id: "x", preferred: "#e5484d" }, { id: "y", preferred: "#30a46c" }])).toEqual({ x: "#e5484d", y: "#30a46c" })
  })

  it("is applied to the people list and to ourselves", () => {
    const store = makeStore(memoryStore())
    store.dispatch(colorChanged("#0090ff"))
    store.dispatch(selfPeerIdSet("me"))
    store.dispatch(selfSinceSet(20))
    const msg = stateMessage(1, { name: "Early", color: "#0090ff", since: 10 }, null)
    store.dispatch(presenceReceived({ peerId: "early", message: msg, at: 1 }))
    expect(selectPeerList(store.getState())[0].color).toBe("#0090ff")
    expect(selectSelf(store.getState()).color).not.toBe("#0090ff")
  })
})

describe("presence extras", () => {
  it("round-trips since, top and present, and drops malformed ones", () => {
    const m = stateMessage(3, { name: "A", color: "#0090ff", since: 5, top: "+1@abc", present: 7 }, null)
    expect(parsePresenceMessage(JSON.parse(JSON.stringify(m)))).toMatchObject({ since: 5, top: "+1@abc", present: 7 })
    const bad = parsePresenceMessage({ ...m, since: "x", top: 4, present: Infinity })
    expect(bad).not.toHaveProperty("since")
    expect(bad).not.toHaveProperty("top")
    expect(bad).not.toHaveProperty("present")
  })
})

describe("follow", () => {
  it("follows a presenting owner once per presentation", () => {
    const peers = [{ peerId: "o", role: "owner", present: 100 }]
    expect(followAction(initialFollowState, peers)).toEqual({ type: "follow", peerId: "o" })
    let s = followReducer(initialFollowState, followStarted({ peerId: "o", reason: "present" }))
    expect(followAction(s, peers)).toBeNull()
    s = followReducer(s, followStopped({ present: 100 }))
    expect(followAction(s, peers)).toBeNull() // dismissed
    expect(followAction(s, [{ peerId: "o", role: "owner", present: 200 }])).toEqual({ type: "follow", peerId: "o" })
  })

  it("ignores a non-owner claiming to present, and a presenter while we present", () => {
    expect(followAction(initialFollowState, [{ peerId: "e", role: "editor", present: 1 }])).toBeNull()
    const presenting = followReducer(initialFollowState, presentingChanged(true))
    expect(followAction(presenting, [{ peerId: "o", role: "owner", present: 1 }])).toBeNull()
  })

  it("stops when the target leaves or stops presenting", () => {
    const s = followReducer(initialFollowState, followStarted({ peerId: "o", reason: "present" }))
    expect(followAction(s, [])).toEqual({ type: "stop" })
    expect(followAction(s, [{ peerId: "o", role: "owner" }])).toEqual({ type: "stop" })
    const clicked = followReducer(initialFollowState, followStarted({ peerId: "o" }))
    expect(followAction(clicked, [{ peerId: "o", role: "owner" }])).toBeNull()
  })
})

describe("downloadName", () => {
  it("uses the language's extension", () => {
    const id = "2ZP9WzMjKUkYfoWYqnFzSUgDnHkR"
    expect(downloadName("python", id, "")).toBe("pairpad-2ZP9WzMj.py")
    expect(downloadName("rust", id, "")).toBe("pairpad-2ZP9WzMj.rs")
    expect(downloadName("cpp", id, "")).toBe("pairpad-2ZP9WzMj.cpp")
    expect(downloadName("typescript", id, "")).toBe("pairpad-2ZP9WzMj.ts")
    expect(downloadName("plaintext", id, "")).toBe("pairpad-2ZP9WzMj.txt")
  })
  it("names Java files after their public class", () => {
    expect(downloadName("java", "x", "public final class Solver {\n}")).toBe("Solver.java")
    expect(downloadName("java", "abc", "class Hidden {}")).toBe("pairpad-abc.java")
  })
})

describe("theme preference", () => {
  it("defaults to the OS, is remembered, and repairs bad values", () => {
    const kv = memoryStore()
    expect(loadPreferences(kv).theme).toBe("system")
    const s = preferencesReducer(defaultPreferences(), themeChanged("dark"))
    expect(s.theme).toBe("dark")
    kv.setItem(PREFERENCES_KEY, JSON.stringify({ ...s }))
    expect(loadPreferences(kv).theme).toBe("dark")
    kv.setItem(PREFERENCES_KEY, JSON.stringify({ theme: "purple" }))
    expect(loadPreferences(kv).theme).toBe("system")
  })
})
