import { createSelector } from "@reduxjs/toolkit"
import type { RootState } from "./store"
import { selectPeerList as peerList, selectPeerCount as peerCount, type PeerPresence } from "../features/presence/presenceSlice"
import { assignColors } from "../features/presence/colors"

export const selectRoom = (s: RootState) => s.room
export const selectRoomPhase = (s: RootState) => s.room.phase
export const selectLanguage = (s: RootState) => s.room.language
export const selectConnection = (s: RootState) => s.connection
export const selectConnectionStatus = (s: RootState) => s.connection.status
export const selectPreferences = (s: RootState) => s.preferences
export const selectDisplayName = (s: RootState) => s.preferences.name
export const selectSuggestions = (s: RootState) => s.suggestions
export const selectRole = (s: RootState) => s.room.role
/** In driver mode, whether we hold the keyboard. */
export const selectDriving = (s: RootState) => s.drive.on && !!s.presence.selfPeerId && s.drive.driver === s.presence.selfPeerId
/**
 * Viewers cannot change the document (read-only editor, no language change); nor can
 * navigators while driver mode is on (the server would refuse their edits).
 */
export const selectReadOnly = (s: RootState) => s.room.role === "viewer" || (s.drive.on && !selectDriving(s))

const selectRawPeerList = (s: RootState) => peerList(s.presence)
const selectSelfClaim = createSelector(
  [(s: RootState) => s.presence.selfPeerId, (s: RootState) => s.presence.selfSince, (s: RootState) => s.preferences.color],
  (id, since, preferred) => ({ id: id ?? "", since, preferred }),
)

/** Everyone's colour by peer id (ours included): no two alike while unused ones remain. */
export const selectAssignedColors = createSelector([selectRawPeerList, selectSelfClaim], (peers, self) =>
  assignColors([self, ...peers.map(p => ({ id: p.peerId, preferred: p.color, since: p.since }))]),
)

/** The others in order of arrival, each with the colour assigned to them in this room. */
export const selectPeerList = createSelector([selectRawPeerList, selectAssignedColors], (peers, colors): PeerPresence[] =>
  peers.map(p => (colors[p.peerId] && colors[p.peerId] !== p.color ? { ...p, color: colors[p.peerId] } : p)),
)
export const selectPeersWithCursor = createSelector([selectPeerList], peers => peers.filter(p => p.selection !== null))
export const selectPeerCount = (s: RootState) => peerCount(s.presence)

/** The local user as shown in the who's-here list ("You" until a name is chosen). */
export const selectSelf = createSelector([selectPreferences, selectAssignedColors, selectSelfClaim], (prefs, colors, claim) => ({
  name: prefs.name ?? "You",
  named: prefs.name !== null,
  color: colors[claim.id] ?? prefs.color,
}))

/** Human text for the connection badge. */
export const selectConnectionLabel = createSelector([selectConnection], c => {
  switch (c.status) {
    case "connected":
      return "Connected"
    case "connecting":
    case "idle":
      return "Connecting…"
    case "reconnecting":
      return "Reconnecting…"
    case "offline":
      return "Offline — edits are saved locally"
    case "failed":
      return "Disconnected"
  }
})

/** The best suggestion, if one is on screen. */
export const selectBestSuggestion = createSelector([selectSuggestions], s =>
  s.status === "shown" && s.items.length > 0 ? s.items[0] : null,
)
