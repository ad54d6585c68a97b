import { createSelector } from "@reduxjs/toolkit"
import type { RootState } from "./store"
import { selectPeerList as peerList, selectPeersWithCursor as peersWithCursor, selectPeerCount as peerCount } from "../features/presence/presenceSlice"

export const selectRoom = (s: RootState) => s.room
export const selectRoomPhase = (s: RootState) => s.room.phase
export const selectLanguage = (s: RootState) => s.room.language
export const selectConnection = (s: RootState) => s.connection
export const selectConnectionStatus = (s: RootState) => s.connection.status
export const selectPreferences = (s: RootState) => s.preferences
export const selectDisplayName = (s: RootState) => s.preferences.name
export const selectSuggestions = (s: RootState) => s.suggestions
export const selectRole = (s: RootState) => s.room.role
/** Viewers cannot change the document: read-only editor, no language change. */
export const selectReadOnly = (s: RootState) => s.room.role === "viewer"

export const selectPeerList = (s: RootState) => peerList(s.presence)
export const selectPeersWithCursor = (s: RootState) => peersWithCursor(s.presence)
export const selectPeerCount = (s: RootState) => peerCount(s.presence)

/** The local user as shown in the who's-here list. */
export const selectSelf = createSelector([selectPreferences], prefs => ({
  name: prefs.name ?? "You",
  color: prefs.color,
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
