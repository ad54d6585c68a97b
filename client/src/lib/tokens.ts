import { browserStore, readJSON, writeJSON, type KeyValueStore } from "./storage"

/**
 * Room tokens (issue 15). A link carries its token in the URL fragment
 * (`/room/<id>#token=…`), which browsers never send to the server. The room page
 * moves it into localStorage (one token per room, the latest link opened wins)
 * and removes it from the address bar; REST calls send it as a Bearer header and
 * the WebSocket as `?token=`.
 */
const KEY = "pairpad.tokens"

type TokenMap = Record<string, string>

function isTokenMap(v: unknown): v is TokenMap {
  return typeof v === "object" && v !== null && Object.values(v).every(t => typeof t === "string")
}

export function loadToken(roomId: string, store: KeyValueStore = browserStore()): string | null {
  return readJSON<TokenMap>(store, KEY, {}, isTokenMap)[roomId] ?? null
}

export function saveToken(roomId: string, token: string, store: KeyValueStore = browserStore()): void {
  const all = readJSON<TokenMap>(store, KEY, {}, isTokenMap)
  all[roomId] = token
  writeJSON(store, KEY, all)
}

export function forgetToken(roomId: string, store: KeyValueStore = browserStore()): void {
  const all = readJSON<TokenMap>(store, KEY, {}, isTokenMap)
  if (!(roomId in all)) return
  delete all[roomId]
  writeJSON(store, KEY, all)
}

/** The token in a URL fragment such as `#token=abc`, or null. */
export function tokenFromHash(hash: string): string | null {
  const params = new URLSearchParams(hash.replace(/^#/, ""))
  const t = params.get("token")
  return t && t.trim() ? t.trim() : null
}

/** The token in a pasted link (`…/room/<id>#token=…` or `?token=…`), or null. */
export function tokenFromLink(link: string): string | null {
  const hash = link.indexOf("#")
  if (hash >= 0) {
    const t = tokenFromHash(link.slice(hash))
    if (t) return t
  }
  const q = /[?&]token=([^&#\s]+)/.exec(link)
  return q ? decodeURIComponent(q[1]) : null
}

/**
 * Called when a room page opens: a token in the address bar's fragment is kept
 * for the room and removed from the address bar. Returns the room's token.
 */
export function adoptTokenFromLocation(roomId: string, loc: Location = location, hist: History = history): string | null {
  const fromHash = tokenFromHash(loc.hash)
  if (fromHash) {
    saveToken(roomId, fromHash)
    hist.replaceState(hist.state, "", loc.pathname + loc.search)
  }
  return fromHash ?? loadToken(roomId)
}

export function roomUrlWithToken(origin: string, roomId: string, token: string): string {
  return `${origin}/room/${roomId}#token=${encodeURIComponent(token)}`
}
