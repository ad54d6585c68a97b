import { describe, expect, it } from "vitest"
import { decodeTimeline, timelineHash, timelineTextAt, type TimelineJSON } from "../src/lib/api"

const b64 = (bytes: number[]) => btoa(String.fromCharCode(...bytes))
const le32 = (xs: number[]) => b64(xs.flatMap(x => [x & 255, (x >>> 8) & 255, (x >>> 16) & 255, (x >>> 24) & 255]))

// Three changes: "ab" typed, "b" deleted and "𝄞" (two UTF-16 units) inserted, then "c".
const raw: TimelineJSON = {
  changes: 3,
  actors: ["aa", "bb"],
  people: { aa: { name: "Alice", colour: "#e5484d" } },
  hashes: b64(Array.from({ length: 96 }, (_, i) => i)),
  times: le32([100, 200, 300]),
  actor_of: le32([0, 1, 0]),
  flags: b64([0, 2, 1]),
  text: "ab𝄞c",
  ins: le32([0, 0, 1, 1, 2]),
  del: le32([-1, 1, -1, -1, -1]),
}

describe("timeline", () => {
  it("decodes the arrays and gives the text after each change", () => {
    const t = decodeTimeline(raw)
    expect(t.changes).toBe(3)
    expect([...t.times]).toEqual([100, 200, 300])
    expect([...t.actorOf]).toEqual([0, 1, 0])
    expect([...t.flags]).toEqual([0, 2, 1])
    expect([...t.del]).toEqual([-1, 1, -1, -1, -1])
    const u = new Uint16Array(t.text.length)
    for (let k = 0; k < t.text.length; k++) u[k] = t.text.charCodeAt(k)
    expect(timelineTextAt(t, 0, u)).toBe("ab")
    expect(timelineTextAt(t, 1, u)).toBe("a𝄞")
    expect(timelineTextAt(t, 2, u)).toBe("a𝄞c")
    expect(timelineHash(t, 1)).toBe(Array.from({ length: 32 }, (_, i) => (i + 32).toString(16).padStart(2, "0")).join(""))
  })
  it("refuses arrays of the wrong length", () => {
    expect(() => decodeTimeline({ ...raw, flags: b64([0, 1]) })).toThrow(/malformed/)
    expect(() => decodeTimeline({ ...raw, ins: le32([0]) })).toThrow(/malformed/)
  })
})
