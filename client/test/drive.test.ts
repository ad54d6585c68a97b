import { describe, expect, it } from "vitest"
import { parsePairingNotice, pairingReceived, PAIRING_TAG } from "../src/features/drive/driveSlice"
import { formatClock } from "../src/components/DriveBar"
import { makeStore } from "../src/app/store"
import { memoryStore } from "../src/lib/storage"
import { selfPeerIdSet } from "../src/features/presence/presenceSlice"
import { roleChanged } from "../src/features/room/roomSlice"
import { selectDriving, selectReadOnly } from "../src/app/selectors"

describe("parsePairingNotice", () => {
  it("reads the server's notice, 64-bit times included", () => {
    const n = parsePairingNotice({
      t: PAIRING_TAG, on: true, driver: "p1", since: 1796288440128n, rotate: 300,
      requests: ["p2", 7], names: { p1: "Alice", p2: 3 }, version: 4, error: "",
    })
    expect(n).toEqual({ on: true, driver: "p1", since: 1796288440128, rotate: 300, requests: ["p2"], names: { p1: "Alice" }, version: 4, error: null })
  })
  it("ignores anything else", () => {
    expect(parsePairingNotice(null)).toBeNull()
    expect(parsePairingNotice("x")).toBeNull()
    expect(parsePairingNotice({ t: "pairpad/role", role: "viewer" })).toBeNull()
  })
  it("keeps a refusal's reason", () => {
    expect(parsePairingNotice({ t: PAIRING_TAG, on: false, error: "driver mode is off" })?.error).toBe("driver mode is off")
  })
})

describe("read-only in driver mode", () => {
  it("only the driver may type; viewers never", () => {
    const store = makeStore(memoryStore())
    store.dispatch(selfPeerIdSet("me"))
    store.dispatch(roleChanged("editor"))
    expect(selectReadOnly(store.getState())).toBe(false)
    const notice = (driver: string, on = true) =>
      store.dispatch(pairingReceived(parsePairingNotice({ t: PAIRING_TAG, on, driver, since: 1, requests: [], names: {}, version: 1 })!))
    notice("other")
    expect(selectDriving(store.getState())).toBe(false)
    expect(selectReadOnly(store.getState())).toBe(true)
    notice("me")
    expect(selectDriving(store.getState())).toBe(true)
    expect(selectReadOnly(store.getState())).toBe(false)
    notice("", true)
    expect(selectReadOnly(store.getState())).toBe(true)
    notice("", false)
    expect(selectReadOnly(store.getState())).toBe(false)
    store.dispatch(roleChanged("viewer"))
    expect(selectReadOnly(store.getState())).toBe(true)
  })
})

describe("formatClock", () => {
  it("shows minutes and seconds, never negative", () => {
    expect(formatClock(0)).toBe("0:00")
    expect(formatClock(65_400)).toBe("1:05")
    expect(formatClock(-3000)).toBe("0:00")
  })
})
