/**
 * Presence over automerge-repo ephemeral messages (`handle.broadcast`), which the
 * server forwards unchanged to the room's other peers. Every `state` message is a
 * full snapshot (name, colour, selection as Automerge cursors), so a lost or
 * reordered message heals with the next one; `seq` lets receivers drop stale ones.
 */
import type { Cursor } from "@automerge/automerge"

export const PRESENCE_TAG = "pairpad/presence"
export const PRESENCE_VERSION = 1
/** how often a state snapshot is re-sent when nothing changes */
export const HEARTBEAT_MS = 5000
/** a peer not heard from in this long is gone (3 missed heartbeats) */
export const PEER_TTL_MS = 16_000

/** A selection carried as Automerge cursors: stable ids of characters, not indexes. */
export interface CursorSelection {
  anchor: Cursor
  head: Cursor
}

export interface PresenceStateMessage {
  t: typeof PRESENCE_TAG
  v: typeof PRESENCE_VERSION
  kind: "state"
  seq: number
  name: string
  color: string
  sel: CursorSelection | null
  /** true when this is a reply to a newcomer; receivers don't reply again */
  reply?: boolean
  /** the sender's role and link id (issue 15), so an owner can act on their link */
  role?: string
  link?: string
}

export interface PresenceByeMessage {
  t: typeof PRESENCE_TAG
  v: typeof PRESENCE_VERSION
  kind: "bye"
  seq: number
}

export type PresenceMessage = PresenceStateMessage | PresenceByeMessage

export function stateMessage(
  seq: number,
  user: { name: string; color: string; role?: string | null; link?: string | null },
  sel: CursorSelection | null,
  reply = false,
): PresenceStateMessage {
  const m: PresenceStateMessage = { t: PRESENCE_TAG, v: PRESENCE_VERSION, kind: "state", seq, name: user.name, color: user.color, sel }
  if (reply) m.reply = true
  if (user.role) m.role = user.role
  if (user.link) m.link = user.link
  return m
}

export function byeMessage(seq: number): PresenceByeMessage {
  return { t: PRESENCE_TAG, v: PRESENCE_VERSION, kind: "bye", seq }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null
}

/** Validates an incoming ephemeral payload; anything else (other apps, garbage) gives null. */
export function parsePresenceMessage(raw: unknown): PresenceMessage | null {
  if (!isRecord(raw) || raw.t !== PRESENCE_TAG || raw.v !== PRESENCE_VERSION) return null
  if (typeof raw.seq !== "number" || !Number.isFinite(raw.seq)) return null
  if (raw.kind === "bye") return { t: PRESENCE_TAG, v: PRESENCE_VERSION, kind: "bye", seq: raw.seq }
  if (raw.kind !== "state") return null
  if (typeof raw.name !== "string" || typeof raw.color !== "string") return null
  let sel: CursorSelection | null = null
  if (isRecord(raw.sel) && typeof raw.sel.anchor === "string" && typeof raw.sel.head === "string") {
    sel = { anchor: raw.sel.anchor, head: raw.sel.head }
  }
  const role = typeof raw.role === "string" && ["viewer", "editor", "owner"].includes(raw.role) ? raw.role : null
  const link = typeof raw.link === "string" ? raw.link.slice(0, 64) : null
  const msg = stateMessage(raw.seq, { name: raw.name.slice(0, 64), color: raw.color, role, link }, sel, raw.reply === true)
  return msg
}
