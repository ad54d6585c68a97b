import { isValidDocumentId } from "@automerge/automerge-repo/slim"

/**
 * Turns what a person pastes into the "join" box into a room id: a bare id,
 * an `automerge:` URL, a path `/room/<id>` or a full link `https://host/room/<id>?x`.
 * Returns null when nothing in it is a valid room id (bs58check, checked).
 */
export function parseRoomInput(input: string): string | null {
  const s = input.trim()
  if (!s) return null
  let candidate = s
  const roomPath = /\/room\/([^/?#\s]+)/.exec(s)
  if (roomPath) candidate = roomPath[1]
  else if (s.startsWith("automerge:")) candidate = s.slice("automerge:".length)
  candidate = decodeURIComponent(candidate).replace(/[/?#].*$/, "")
  return isValidRoomId(candidate) ? candidate : null
}

export function isValidRoomId(id: string): boolean {
  if (!/^[1-9A-HJ-NP-Za-km-z]{10,60}$/.test(id)) return false
  try {
    return isValidDocumentId(id)
  } catch {
    return false
  }
}

export function roomPath(id: string): string {
  return `/room/${id}`
}

export function roomLink(id: string, origin: string): string {
  return `${origin}${roomPath(id)}`
}
