import type { KeyValueStore } from "./storage"
import { readJSON, writeJSON } from "./storage"
import { isValidRoomId } from "./roomId"
import { normalizeLanguage, type LanguageId } from "./languages"

export interface RecentRoom {
  id: string
  language: LanguageId
  /** ms since epoch of the last visit */
  visitedAt: number
  /** first line of the code when last seen, for recognition */
  preview: string
}

export const RECENT_KEY = "pairpad.recentRooms"
export const MAX_RECENT = 8

function isRecentList(v: unknown): v is RecentRoom[] {
  return Array.isArray(v)
}

export function loadRecentRooms(store: KeyValueStore): RecentRoom[] {
  const list = readJSON<RecentRoom[]>(store, RECENT_KEY, [], isRecentList)
  return list
    .filter(r => r && typeof r.id === "string" && isValidRoomId(r.id) && typeof r.visitedAt === "number")
    .map(r => ({
      id: r.id,
      language: normalizeLanguage(r.language),
      visitedAt: r.visitedAt,
      preview: typeof r.preview === "string" ? r.preview.slice(0, 80) : "",
    }))
    .sort((a, b) => b.visitedAt - a.visitedAt)
    .slice(0, MAX_RECENT)
}

/** Moves (or adds) a room to the top of the list and persists it. */
export function rememberRoom(store: KeyValueStore, room: RecentRoom): RecentRoom[] {
  const rest = loadRecentRooms(store).filter(r => r.id !== room.id)
  const next = [{ ...room, preview: room.preview.slice(0, 80) }, ...rest].slice(0, MAX_RECENT)
  writeJSON(store, RECENT_KEY, next)
  return next
}

export function forgetRoom(store: KeyValueStore, id: string): RecentRoom[] {
  const next = loadRecentRooms(store).filter(r => r.id !== id)
  writeJSON(store, RECENT_KEY, next)
  return next
}
