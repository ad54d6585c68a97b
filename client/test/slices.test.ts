import { describe, expect, it } from "vitest"
import { makeStore, rootReducer } from "../src/app/store"
import { memoryStore } from "../src/lib/storage"
import {
  roomOpened,
  roomReady,
  roomNotFound,
  roomFailed,
  languageChanged,
  roomInfoReceived,
} from "../src/features/room/roomSlice"
import { socketStatusChanged } from "../src/features/connection/connectionSlice"
import {
  nameChanged,
  colorChanged,
  suggestionsToggled,
  suggestionDelayChanged,
  loadPreferences,
  PREFERENCES_KEY,
} from "../src/features/preferences/preferencesSlice"
import {
  suggestionRequested,
  suggestionReceived,
  suggestionFailed,
  suggestionsCleared,
  suggestionNarrowed,
  suggestionAccepted,
} from "../src/features/suggestions/suggestionsSlice"
import { presenceReceived, peersPruned, selfPeerIdSet } from "../src/features/presence/presenceSlice"
import { stateMessage, byeMessage } from "../src/features/presence/protocol"
import {
  selectConnectionLabel,
  selectPeerList,
  selectPeerCount,
  selectPeersWithCursor,
  selectBestSuggestion,
  selectSelf,
} from "../src/app/selectors"

const ID = "2ZP9WzMjKUkYfoWYqnFzSUgDnHkR"

function fresh() {
  return makeStore(memoryStore())
}

describe("room slice", () => {
  it("goes loading → ready with a normalized language", () => {
    const s = fresh()
    s.dispatch(roomOpened(ID))
    expect(s.getState().room.phase).toBe("loading")
    s.dispatch(roomReady({ id: ID, language: "TS", length: 12 }))
    expect(s.getState().room).toMatchObject({ phase: "ready", language: "typescript", length: 12 })
  })

  it("ignores answers for a room that is no longer open", () => {
    const s = fresh()
    s.dispatch(roomOpened(ID))
    s.dispatch(roomOpened("other"))
    s.dispatch(roomReady({ id: ID, language: "go", length: 1 }))
    s.dispatch(roomNotFound(ID))
    s.dispatch(roomFailed({ id: ID, message: "x" }))
    expect(s.getState().room.phase).toBe("loading")
    expect(s.getState().room.id).toBe("other")
  })

  it("takes the language from room info only while loading, then from the doc", () => {
    const s = fresh()
    s.dispatch(roomOpened(ID))
    const info = { room_id: ID, language: "rust", created_at: "", updated_at: "", peers: 0, size_bytes: 0 }
    s.dispatch(roomInfoReceived(info))
    expect(s.getState().room.language).toBe("rust")
    s.dispatch(roomReady({ id: ID, language: "go", length: 0 }))
    s.dispatch(roomInfoReceived({ ...info, language: "java" }))
    expect(s.getState().room.language).toBe("go")
    s.dispatch(languageChanged("c++"))
    expect(s.getState().room.language).toBe("cpp")
    s.dispatch(languageChanged(42))
    expect(s.getState().room.language).toBe("plaintext")
  })

  it("records not-found and errors", () => {
    const s = fresh()
    s.dispatch(roomOpened(ID))
    s.dispatch(roomNotFound(ID))
    expect(s.getState().room.phase).toBe("not-found")
    s.dispatch(roomOpened(ID))
    s.dispatch(roomFailed({ id: ID, message: "boom" }))
    expect(s.getState().room).toMatchObject({ phase: "error", error: "boom" })
  })
})

describe("connection slice and label", () => {
  it("tracks status and the last connection time", () => {
    const s = fresh()
    expect(selectConnectionLabel(s.getState())).toBe("Connecting…")
    s.dispatch(socketStatusChanged({ status: "connected", attempt: 0, nextRetryAt: null, lastCloseCode: null, at: 1000 }))
    expect(s.getState().connection.lastConnectedAt).toBe(1000)
    expect(selectConnectionLabel(s.getState())).toBe("Connected")
    s.dispatch(socketStatusChanged({ status: "reconnecting", attempt: 2, nextRetryAt: 5000, lastCloseCode: 1006, at: 2000 }))
    expect(s.getState().connection).toMatchObject({ status: "reconnecting", attempt: 2, nextRetryAt: 5000, lastConnectedAt: 1000 })
    expect(selectConnectionLabel(s.getState())).toBe("Reconnecting…")
    s.dispatch(socketStatusChanged({ status: "offline", attempt: 3, nextRetryAt: null, lastCloseCode: 1006, at: 3000 }))
    expect(selectConnectionLabel(s.getState())).toMatch(/Offline/)
  })
})

describe("preferences", () => {
  it("cleans names, refuses empty ones, clamps the delay and persists", () => {
    const kv = memoryStore()
    const s = makeStore(kv)
    expect(s.getState().preferences.name).toBeNull()
    s.dispatch(nameChanged("   Ada    Lovelace  "))
    expect(s.getState().preferences.name).toBe("Ada Lovelace")
    s.dispatch(nameChanged("    "))
    expect(s.getState().preferences.name).toBe("Ada Lovelace")
    s.dispatch(nameChanged("x".repeat(100)))
    expect(s.getState().preferences.name).toHaveLength(32)
    s.dispatch(colorChanged("not a colour"))
    s.dispatch(colorChanged("#30a46c"))
    s.dispatch(suggestionDelayChanged(5))
    expect(s.getState().preferences.suggestionDelayMs).toBe(100)
    s.dispatch(suggestionsToggled(undefined))
    const saved = JSON.parse(kv.getItem(PREFERENCES_KEY)!)
    expect(saved).toMatchObject({ color: "#30a46c", suggestionsEnabled: false, suggestionDelayMs: 100 })
    // a new page load sees them
    expect(makeStore(kv).getState().preferences).toEqual(s.getState().preferences)
  })

  it("repairs garbage in storage", () => {
    const kv = memoryStore()
    kv.setItem(PREFERENCES_KEY, JSON.stringify({ name: 7, color: "red", suggestionsEnabled: "yes", suggestionDelayMs: 1e9 }))
    const p = loadPreferences(kv, () => 0)
    expect(p).toEqual({ name: null, color: "#e5484d", suggestionsEnabled: true, suggestionDelayMs: 3000, theme: "system" })
    kv.setItem(PREFERENCES_KEY, "{not json")
    expect(loadPreferences(kv, () => 0).name).toBeNull()
  })

  it("selectSelf shows 'You' until a name is chosen", () => {
    const s = fresh()
    expect(selectSelf(s.getState()).name).toBe("You")
    s.dispatch(nameChanged("Bo"))
    expect(selectSelf(s.getState()).name).toBe("Bo")
  })
})

describe("suggestions slice", () => {
  const item = (text: string) => ({ text, label: text, kind: "snippet" })

  it("drops answers for superseded requests", () => {
    const s = fresh()
    s.dispatch(suggestionRequested({ requestId: 1, at: 5 }))
    s.dispatch(suggestionRequested({ requestId: 2, at: 6 }))
    s.dispatch(suggestionReceived({ requestId: 1, items: [item("stale")], engine: "mock", tookMs: 1 }))
    expect(s.getState().suggestions.status).toBe("loading")
    expect(selectBestSuggestion(s.getState())).toBeNull()
    s.dispatch(suggestionReceived({ requestId: 2, items: [item("fresh")], engine: "mock", tookMs: 1 }))
    expect(selectBestSuggestion(s.getState())?.text).toBe("fresh")
  })

  it("drops an answer that arrives after the suggestion was cleared by a keystroke", () => {
    const s = fresh()
    s.dispatch(suggestionRequested({ requestId: 1, at: 5 }))
    s.dispatch(suggestionsCleared())
    s.dispatch(suggestionReceived({ requestId: 1, items: [item("late")], engine: "mock", tookMs: 1 }))
    expect(s.getState().suggestions.status).toBe("idle")
    expect(s.getState().suggestions.items).toEqual([])
  })

  it("refuses to go back to an older request id", () => {
    const s = fresh()
    s.dispatch(suggestionRequested({ requestId: 3, at: 1 }))
    s.dispatch(suggestionRequested({ requestId: 2, at: 9 }))
    expect(s.getState().suggestions).toMatchObject({ requestId: 3, at: 1 })
  })

  it("narrows the best suggestion as matching text is typed, and clears when used up", () => {
    const s = fresh()
    s.dispatch(suggestionRequested({ requestId: 1, at: 0 }))
    s.dispatch(suggestionReceived({ requestId: 1, items: [item("return n")], engine: "mock", tookMs: 0 }))
    s.dispatch(suggestionNarrowed({ typed: "ret", at: 3 }))
    expect(selectBestSuggestion(s.getState())?.text).toBe("urn n")
    s.dispatch(suggestionNarrowed({ typed: "xyz", at: 4 }))
    expect(selectBestSuggestion(s.getState())?.text).toBe("urn n")
    s.dispatch(suggestionNarrowed({ typed: "urn n", at: 8 }))
    expect(s.getState().suggestions.status).toBe("idle")
  })

  it("marks empty answers, errors and acceptances", () => {
    const s = fresh()
    s.dispatch(suggestionRequested({ requestId: 1, at: 0 }))
    s.dispatch(suggestionReceived({ requestId: 1, items: [], engine: "mock", tookMs: 0 }))
    expect(s.getState().suggestions.status).toBe("empty")
    s.dispatch(suggestionRequested({ requestId: 2, at: 0 }))
    s.dispatch(suggestionFailed({ requestId: 2, message: "429" }))
    expect(s.getState().suggestions).toMatchObject({ status: "error", error: "429" })
    s.dispatch(suggestionAccepted())
    expect(s.getState().suggestions.accepted).toBe(1)
  })
})

describe("presence slice and selectors", () => {
  const user = (name: string) => ({ name, color: "#0090ff" })

  it("adds peers, keeps arrival order, ignores stale and own messages", () => {
    const s = fresh()
    s.dispatch(selfPeerIdSet("me"))
    s.dispatch(presenceReceived({ peerId: "b", message: stateMessage(1, user("Bea"), null), at: 10 }))
    s.dispatch(presenceReceived({ peerId: "a", message: stateMessage(1, user("Al"), { anchor: "1@x", head: "1@x" }), at: 20 }))
    s.dispatch(presenceReceived({ peerId: "me", message: stateMessage(9, user("Me"), null), at: 30 }))
    expect(selectPeerList(s.getState()).map(p => p.name)).toEqual(["Bea", "Al"])
    expect(selectPeerCount(s.getState())).toBe(2)
    expect(selectPeersWithCursor(s.getState()).map(p => p.peerId)).toEqual(["a"])
    // stale seq ignored
    s.dispatch(presenceReceived({ peerId: "b", message: stateMessage(5, user("Bea 2"), null), at: 40 }))
    s.dispatch(presenceReceived({ peerId: "b", message: stateMessage(4, user("Old"), null), at: 50 }))
    expect(s.getState().presence.peers.b).toMatchObject({ name: "Bea 2", lastSeenAt: 40, joinedAt: 10 })
  })

  it("memoizes the peer list", () => {
    const s = fresh()
    s.dispatch(presenceReceived({ peerId: "b", message: stateMessage(1, user("Bea"), null), at: 10 }))
    const a = selectPeerList(s.getState())
    s.dispatch(nameChanged("unrelated"))
    expect(selectPeerList(s.getState())).toBe(a)
  })

  it("removes a peer on bye and prunes silent peers", () => {
    const s = fresh()
    s.dispatch(presenceReceived({ peerId: "b", message: stateMessage(1, user("Bea"), null), at: 0 }))
    s.dispatch(presenceReceived({ peerId: "c", message: stateMessage(1, user("Cy"), null), at: 10_000 }))
    s.dispatch(presenceReceived({ peerId: "b", message: byeMessage(2), at: 11_000 }))
    expect(Object.keys(s.getState().presence.peers)).toEqual(["c"])
    s.dispatch(peersPruned({ now: 20_000 }))
    expect(Object.keys(s.getState().presence.peers)).toEqual(["c"])
    s.dispatch(peersPruned({ now: 30_000 }))
    expect(Object.keys(s.getState().presence.peers)).toEqual([])
  })

  it("names a nameless peer", () => {
    const state = rootReducer(undefined, presenceReceived({ peerId: "z", message: stateMessage(1, user("  "), null), at: 0 }))
    expect(state.presence.peers.z.name).toBe("Anonymous")
  })
})
