import type * as A from "@automerge/automerge"
import type { PeerPresence } from "./presenceSlice"
import { resolveSelection } from "./cursors"

export interface ResolvedCursor {
  peerId: string
  name: string
  color: string
  anchor: number
  head: number
}

/**
 * Turns the peers' Automerge-cursor selections into editor positions for `doc`.
 * A cursor we can't resolve yet (it names a character whose change hasn't arrived)
 * keeps its previous, already-mapped position; a peer never seen before is skipped
 * until it resolves. Peers without a selection aren't drawn.
 */
export function computeRemoteCursors<T>(
  doc: A.Doc<T>,
  peers: readonly PeerPresence[],
  previous: readonly ResolvedCursor[],
): ResolvedCursor[] {
  const prev = new Map(previous.map(c => [c.peerId, c]))
  const out: ResolvedCursor[] = []
  for (const p of peers) {
    if (!p.selection) continue
    const resolved = resolveSelection(doc, p.selection)
    if (resolved) {
      out.push({ peerId: p.peerId, name: p.name, color: p.color, anchor: resolved.anchor, head: resolved.head })
    } else {
      const old = prev.get(p.peerId)
      if (old) out.push({ ...old, name: p.name, color: p.color })
    }
  }
  return out
}

/** True when two cursor lists would draw the same thing (avoids needless editor updates). */
export function sameCursors(a: readonly ResolvedCursor[], b: readonly ResolvedCursor[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const x = a[i]
    const y = b[i]
    if (x.peerId !== y.peerId || x.anchor !== y.anchor || x.head !== y.head || x.name !== y.name || x.color !== y.color)
      return false
  }
  return true
}
