import { createSelector, createSlice, type PayloadAction } from "@reduxjs/toolkit"
import type { CursorSelection, PresenceMessage } from "./protocol"
import { PEER_TTL_MS } from "./protocol"

/** What we know about another person in the room (from their ephemeral presence messages). */
export interface PeerPresence {
  peerId: string
  name: string
  color: string
  /** their selection as Automerge cursors; null when their editor isn't focused / unknown */
  selection: CursorSelection | null
  /** ms since epoch of the last message from them */
  lastSeenAt: number
  /** when we first saw them this session (stable ordering of the list) */
  joinedAt: number
  /** highest seq seen: older messages are ignored */
  seq: number
  /** what they say their role and link are (the server enforces roles; this is for the owner's UI) */
  role?: string
  linkId?: string
  /** when they opened the room (their clock; colour order), where they are scrolled, whether they present */
  since?: number
  top?: string
  present?: number
}

export interface PresenceState {
  selfPeerId: string | null
  /** when this session opened the room (sent to the others as `since`) */
  selfSince: number | null
  peers: Record<string, PeerPresence>
}

export const initialPresenceState: PresenceState = { selfPeerId: null, selfSince: null, peers: {} }

const presenceSlice = createSlice({
  name: "presence",
  initialState: initialPresenceState,
  reducers: {
    selfPeerIdSet(state, action: PayloadAction<string | null>) {
      state.selfPeerId = action.payload
    },
    selfSinceSet(state, action: PayloadAction<number>) {
      state.selfSince = action.payload
    },
    presenceReceived(state, action: PayloadAction<{ peerId: string; message: PresenceMessage; at: number }>) {
      const { peerId, message, at } = action.payload
      if (peerId === state.selfPeerId) return
      const existing = state.peers[peerId]
      // A peer's seq restarts when it reloads (new peer id), so per-peer ordering is enough.
      if (existing && message.seq < existing.seq) return
      if (message.kind === "bye") {
        delete state.peers[peerId]
        return
      }
      state.peers[peerId] = {
        peerId,
        name: message.name.trim() || "Anonymous",
        color: message.color,
        selection: message.sel,
        lastSeenAt: at,
        joinedAt: existing?.joinedAt ?? at,
        seq: message.seq,
        ...(message.role ? { role: message.role } : {}),
        ...(message.link ? { linkId: message.link } : {}),
        ...(message.since != null ? { since: message.since } : {}),
        ...(message.top ? { top: message.top } : {}),
        ...(message.present != null ? { present: message.present } : {}),
      }
    },
    /** Forget peers not heard from within `ttl` ms (crashed tab, lost network). */
    peersPruned(state, action: PayloadAction<{ now: number; ttl?: number }>) {
      const ttl = action.payload.ttl ?? PEER_TTL_MS
      for (const [id, p] of Object.entries(state.peers)) {
        if (action.payload.now - p.lastSeenAt > ttl) delete state.peers[id]
      }
    },
    /** A new room session starts: forget every peer and our own id (the session sets a new one). */
    presenceReset() {
      return initialPresenceState
    },
  },
})

export const { selfPeerIdSet, selfSinceSet, presenceReceived, peersPruned, presenceReset } = presenceSlice.actions
export const presenceReducer = presenceSlice.reducer

// --- selectors (take the presence slice so they work with any root shape) ---

const selectPeersRecord = (s: PresenceState) => s.peers

/** Peers in order of arrival (stable, so the list doesn't jump around). */
export const selectPeerList = createSelector([selectPeersRecord], peers =>
  Object.values(peers).sort((a, b) => a.joinedAt - b.joinedAt || a.peerId.localeCompare(b.peerId)),
)

/** Peers that have a cursor to draw. */
export const selectPeersWithCursor = createSelector([selectPeerList], peers => peers.filter(p => p.selection !== null))

export const selectPeerCount = createSelector([selectPeersRecord], peers => Object.keys(peers).length)
