/**
 * Presence over automerge-repo ephemeral messages (`handle.broadcast`), which the
 * server forwards unchanged to the room's other peers. Every `state` message is a
 * full snapshot (name, colour, selection as Automerge cursors), so a lost or
 * reordered message heals with the next one; `seq` lets receivers drop stale ones.
 *
 * Why not automerge-repo 2.5's `Presence` (read in its dist/presence/, 2.5.6)? It
 * carries the same things (any JSON per channel, so names, colours and cursors fit),
 * has heartbeats, a TTL and a goodbye, and its timings are settings. It falls short
 * of this layer where pairing needs it:
 *  - Only a `snapshot` carries the whole state, and it is sent only when the sender
 *    sees a peer it doesn't know; `update` carries one channel and heartbeats carry
 *    nothing. A lost update (nothing is queued while a socket is down, and the server
 *    closes a slow consumer) leaves a stale caret until that channel changes again. Here every message, heartbeats included, is a snapshot:
 *    a peer heals within one heartbeat (5 s).
 *  - A receiver ignores heartbeats from a peer it doesn't know ("they will send a
 *    snapshot"), but the sender only does so for peers *it* doesn't know. After one
 *    side pruned the other (a network hiccup longer than the TTL), that person stays
 *    invisible until they change something, and then shows without a name.
 *  - It knows nothing of our socket: after a reconnect it sends nothing until the
 *    next change or heartbeat; the room session re-announces on "connected".
 *  - A newcomer is answered after a fixed 500 ms (`announce`); here after 30 ms, with
 *    `reply` so two newcomers don't answer each other forever.
 *  - Its defaults (15 s heartbeat, 45 s TTL) show a closed tab three times longer;
 *    they are settings, so this alone would not decide it.
 * Moving would also change the wire format: tabs on the old and new client would
 * not see each other. Revisit when automerge-repo heals state in heartbeats.
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
  /** when the sender opened the room (their clock): earlier arrivals keep their colour */
  since?: number
  /** where the sender's editor is scrolled to (an Automerge cursor of the first visible line), for followers */
  top?: Cursor
  /** set while the sender (an owner) asks everyone to follow them: when they started */
  present?: number
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
  user: { name: string; color: string; role?: string | null; link?: string | null; since?: number | null; top?: Cursor | null; present?: number | null },
  sel: CursorSelection | null,
  reply = false,
): PresenceStateMessage {
  const m: PresenceStateMessage = { t: PRESENCE_TAG, v: PRESENCE_VERSION, kind: "state", seq, name: user.name, color: user.color, sel }
  if (reply) m.reply = true
  if (user.role) m.role = user.role
  if (user.link) m.link = user.link
  if (user.since != null) m.since = user.since
  if (user.top) m.top = user.top
  if (user.present != null) m.present = user.present
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
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null)
  const top = typeof raw.top === "string" ? raw.top.slice(0, 256) : null
  const extra = { since: num(raw.since), top, present: num(raw.present) }
  const msg = stateMessage(raw.seq, { name: raw.name.slice(0, 64), color: raw.color, role, link, ...extra }, sel, raw.reply === true)
  return msg
}
