/**
 * "Since you left": the heads of a room this browser last saw (localStorage
 * `pairpad:seen:<roomId>`), and the text inserted since, as ranges of the current text.
 */
import type { KeyValueStore } from "./storage"

const key = (roomId: string) => `pairpad:seen:${roomId}`

/** The heads (hex change hashes) this browser last saw in the room; null if never. */
export function loadSeen(kv: KeyValueStore, roomId: string): string[] | null {
  let raw: string | null = null
  try {
    raw = kv.getItem(key(roomId))
  } catch {
    return null
  }
  if (!raw) return null
  const heads = raw.split(",").filter(h => /^[0-9a-f]{64}$/.test(h))
  return heads.length ? heads : null
}

export function saveSeen(kv: KeyValueStore, roomId: string, heads: string[]): void {
  if (!heads.length) return
  try {
    kv.setItem(key(roomId), heads.join(","))
  } catch {
    // quota or private mode: the highlight is a nicety
  }
}

/** An Automerge patch, as far as text in `content` is concerned. */
export interface TextPatch {
  action: string
  path: (string | number)[]
  value?: unknown
  length?: number
}

/** A half-open range [from, to) of the current text (UTF-16 offsets). */
export interface Range {
  from: number
  to: number
}

/**
 * The ranges of the final text that `patches` (in order, as `Automerge.diff` gives them
 * for the text at `field`) inserted. Deletions shrink or drop earlier insertions.
 */
export function insertedRanges(patches: TextPatch[], field = "content"): Range[] {
  let ranges: Range[] = []
  for (const p of patches) {
    if (p.path.length !== 2 || p.path[0] !== field || typeof p.path[1] !== "number") continue
    const at = p.path[1]
    if (p.action === "splice" && typeof p.value === "string" && p.value.length) {
      const n = p.value.length
      const next: Range[] = []
      for (const r of ranges) {
        if (r.to <= at) next.push(r)
        else if (r.from >= at) next.push({ from: r.from + n, to: r.to + n })
        else next.push({ from: r.from, to: at }, { from: at + n, to: r.to + n }) // split by the insertion
      }
      next.push({ from: at, to: at + n })
      ranges = next
    } else if (p.action === "del") {
      const n = p.length ?? 1
      const end = at + n
      const clip = (x: number) => (x <= at ? x : x >= end ? x - n : at)
      ranges = ranges.map(r => ({ from: clip(r.from), to: clip(r.to) })).filter(r => r.to > r.from)
    }
  }
  return merge(ranges)
}

function merge(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a.from - b.from)
  const out: Range[] = []
  for (const r of sorted) {
    const last = out[out.length - 1]
    if (last && r.from <= last.to) last.to = Math.max(last.to, r.to)
    else out.push({ ...r })
  }
  return out
}
