import type { LanguageId } from "./languages"

/** Error from the Pairpad HTTP API, or `status 0 / code "unreachable"` when the server could not be reached. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly retryAfterMs?: number
  constructor(status: number, code: string, message: string, retryAfterMs?: number) {
    super(message)
    this.name = "ApiError"
    this.status = status
    this.code = code
    this.retryAfterMs = retryAfterMs
  }
  get unreachable(): boolean {
    return this.status === 0
  }
}

export type Role = "viewer" | "editor" | "owner"

export interface LinkInfo {
  id: string
  role: Role
  label?: string
  /** absent for a revoked link */
  token?: string
  url?: string
  created_at: string
  expires_at?: string
  revoked_at?: string
  /** the link opens the room's private notes too (owner links always do) */
  notes?: boolean
}

export interface CreatedRoom {
  room_id: string
  url: string
  /** present when the server has access control (ACCESS=links or open with links) */
  owner_token?: string
  links?: LinkInfo[]
}

export interface RoomInfo {
  room_id: string
  language: string
  created_at: string
  updated_at: string
  peers: number
  size_bytes: number
  /** the caller's role (absent from servers before access control) */
  role?: Role
  link_id?: string
  /** display name from an application token */
  name?: string
  access?: "links" | "open"
  /** the server's MAX_DOC_BYTES (absent from older servers) */
  max_doc_bytes?: number
  /** the caller may open the room's private notes */
  notes?: boolean
}

/** GET /rooms/{id}/timeline as sent: little-endian arrays in base64. */
export interface TimelineJSON {
  changes: number
  actors: string[]
  people: Record<string, { name: string; colour: string }> | null
  hashes: string
  times: string
  actor_of: string
  flags: string
  text: string
  ins: string
  del: string
}

/**
 * The timeline decoded: per change (causal order) its hash, time, actor and flags (1 AI,
 * 2 paste); per UTF-16 code unit of `text` the first change after which it is visible
 * (`ins`) and the first after which it is gone (`del`, -1 never).
 */
export interface TimelineData {
  changes: number
  actors: string[]
  people: Record<string, { name: string; colour: string }>
  hashes: Uint8Array
  times: Uint32Array
  actorOf: Uint32Array
  flags: Uint8Array
  text: string
  ins: Int32Array
  del: Int32Array
}

function base64Bytes(s: string): Uint8Array {
  const bin = atob(s ?? "")
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

/** Little-endian 32-bit words (every browser is little-endian; DataView keeps it portable). */
function words<T extends Uint32Array | Int32Array>(bytes: Uint8Array, make: (n: number) => T): T {
  const n = bytes.length >>> 2
  const out = make(n)
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let i = 0; i < n; i++) out[i] = dv.getUint32(4 * i, true)
  return out
}

export function decodeTimeline(raw: TimelineJSON): TimelineData {
  const data: TimelineData = {
    changes: raw.changes,
    actors: raw.actors ?? [],
    people: raw.people ?? {},
    hashes: base64Bytes(raw.hashes),
    times: words(base64Bytes(raw.times), n => new Uint32Array(n)),
    actorOf: words(base64Bytes(raw.actor_of), n => new Uint32Array(n)),
    flags: base64Bytes(raw.flags),
    text: raw.text ?? "",
    ins: words(base64Bytes(raw.ins), n => new Int32Array(n)),
    del: words(base64Bytes(raw.del), n => new Int32Array(n)),
  }
  const n = data.changes
  if (data.hashes.length !== 32 * n || data.times.length !== n || data.actorOf.length !== n || data.flags.length !== n)
    throw new ApiError(0, "bad_timeline", "The server sent a malformed timeline.")
  if (data.ins.length !== data.text.length || data.del.length !== data.text.length)
    throw new ApiError(0, "bad_timeline", "The server sent a malformed timeline.")
  return data
}

/** The text after change `i` (0-based, causal order): a linear scan of the character table. */
export function timelineTextAt(t: TimelineData, i: number, units: Uint16Array): string {
  const out = new Uint16Array(units.length)
  let n = 0
  const { ins, del } = t
  for (let k = 0; k < units.length; k++) {
    if (ins[k] <= i && (del[k] < 0 || del[k] > i)) out[n++] = units[k]
  }
  let s = ""
  for (let k = 0; k < n; k += 8192) s += String.fromCharCode.apply(null, out.subarray(k, Math.min(n, k + 8192)) as unknown as number[])
  return s
}

/** Hex hash of change `i`. */
export function timelineHash(t: TimelineData, i: number): string {
  let s = ""
  for (const b of t.hashes.subarray(32 * i, 32 * i + 32)) s += b.toString(16).padStart(2, "0")
  return s
}

/** GET /rooms/{id}/notes */
export interface NotesInfo {
  room_id: string
  document_id: string
  /** WebSocket path serving the notes document (token as for /ws/{id}) */
  ws_url: string
  text: string
  role: Role
}

export interface SuggestionRange {
  from: number
  to: number
}

export interface Suggestion {
  text: string
  label: string
  kind: string
  replace?: SuggestionRange
}

export interface AutocompleteRequest {
  code: string
  /** UTF-16 code units, as the browser counts */
  cursor: number
  language: string
  room_id?: string
  max?: number
}

export interface AutocompleteResponse {
  suggestions: Suggestion[]
  engine: string
  took_ms: number
}

type Fetch = typeof fetch

/** Sends a request; a failed one throws ApiError (with the server's message). */
async function send(fetchImpl: Fetch, path: string, init: RequestInit): Promise<{ res: Response; text: string; body: unknown }> {
  let res: Response
  try {
    res = await fetchImpl(path, init)
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e
    throw new ApiError(0, "unreachable", "Can't reach the Pairpad server. Check your connection and try again.")
  }
  let body: unknown = null
  const text = await res.text().catch(() => "")
  if (text) {
    try {
      body = JSON.parse(text)
    } catch {
      body = null
    }
  }
  if (!res.ok) {
    const err = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error
    const code = typeof err?.code === "string" ? err.code : `http_${res.status}`
    const message =
      typeof err?.message === "string"
        ? err.message
        : res.status >= 502 && res.status <= 504
          ? "The Pairpad server is not responding."
          : `Request failed (${res.status})`
    const ra = Number(res.headers.get("Retry-After"))
    throw new ApiError(res.status, code, message, Number.isFinite(ra) && ra > 0 ? ra * 1000 : undefined)
  }
  return { res, text, body }
}

async function request<T>(fetchImpl: Fetch, path: string, init: RequestInit): Promise<T> {
  const { res, body } = await send(fetchImpl, path, init)
  if (body == null) throw new ApiError(res.status, "bad_response", "The server sent an unreadable answer.")
  return body as T
}

/** One span of GET /rooms/{id}/blame: who inserted text[from, to) (code points), when, how. */
export interface BlameSpan {
  from: number
  to: number
  actor: string
  person: { name: string; colour: string } | null
  /** seconds since the epoch */
  time: number
  kind?: "typed" | "paste" | "ai"
}

/** One change of GET /rooms/{id}/history (causal order). */
export interface HistoryChange {
  hash: string
  actor: string
  person: { name: string; colour: string } | null
  seq: number
  /** seconds since the epoch */
  time: number
  inserted: number
  deleted: number
  ai: boolean
  paste: boolean
}

/** One connection in a room as the server knows it (GET /rooms/{id}/people). */
export interface ServerPerson {
  peer_id: string
  link_id?: string
  role: Role
  name?: string
}

function authHeaders(token: string | null | undefined, extra: Record<string, string> = {}): Record<string, string> {
  return token ? { ...extra, Authorization: `Bearer ${token}` } : extra
}

export function createApi(fetchImpl: Fetch = (...args) => fetch(...args)) {
  return {
    createRoom(language: LanguageId): Promise<CreatedRoom> {
      return request<CreatedRoom>(fetchImpl, "/rooms", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ language }),
      })
    },
    getRoom(id: string, signal?: AbortSignal, token?: string | null): Promise<RoomInfo> {
      return request<RoomInfo>(fetchImpl, `/rooms/${encodeURIComponent(id)}`, { method: "GET", signal, headers: authHeaders(token) })
    },
    listLinks(id: string, token: string): Promise<{ links: LinkInfo[] }> {
      return request(fetchImpl, `/rooms/${encodeURIComponent(id)}/links`, { method: "GET", headers: authHeaders(token) })
    },
    createLink(id: string, token: string, body: { role: Role; label?: string; expires_in?: number }): Promise<LinkInfo> {
      return request(fetchImpl, `/rooms/${encodeURIComponent(id)}/links`, {
        method: "POST",
        headers: authHeaders(token, { "Content-Type": "application/json" }),
        body: JSON.stringify(body),
      })
    },
    getNotes(id: string, token: string | null, signal?: AbortSignal): Promise<NotesInfo> {
      return request<NotesInfo>(fetchImpl, `/rooms/${encodeURIComponent(id)}/notes`, { method: "GET", signal, headers: authHeaders(token) })
    },
    setLinkNotes(id: string, token: string, linkId: string, notes: boolean): Promise<LinkInfo> {
      return request(fetchImpl, `/rooms/${encodeURIComponent(id)}/links/${encodeURIComponent(linkId)}`, {
        method: "PATCH",
        headers: authHeaders(token, { "Content-Type": "application/json" }),
        body: JSON.stringify({ notes }),
      })
    },
    setLinkRole(id: string, token: string, linkId: string, role: Role): Promise<LinkInfo> {
      return request(fetchImpl, `/rooms/${encodeURIComponent(id)}/links/${encodeURIComponent(linkId)}`, {
        method: "PATCH",
        headers: authHeaders(token, { "Content-Type": "application/json" }),
        body: JSON.stringify({ role }),
      })
    },
    /** The history in the compact form playback needs (GET /rooms/{id}/timeline), decoded. */
    async timeline(id: string, token: string | null | undefined, signal?: AbortSignal): Promise<TimelineData> {
      const raw = await request<TimelineJSON>(fetchImpl, `/rooms/${encodeURIComponent(id)}/timeline`, { method: "GET", signal, headers: authHeaders(token) })
      return decodeTimeline(raw)
    },
    /** The room's whole history, page by page (10,000 changes a page). */
    async history(id: string, token: string | null | undefined, signal?: AbortSignal): Promise<HistoryChange[]> {
      const all: HistoryChange[] = []
      let after: string | null = null
      do {
        const q: string = `?limit=10000${after ? `&after=${after}` : ""}`
        const page: { changes: HistoryChange[]; next: string | null } = await request(fetchImpl, `/rooms/${encodeURIComponent(id)}/history${q}`, {
          method: "GET",
          signal,
          headers: authHeaders(token),
        })
        all.push(...page.changes)
        after = page.next
      } while (after)
      return all
    },
    /**
     * The room's current text and the version it is (heads: hex change hashes, from the
     * X-Pairpad-Heads header; empty from a server that does not send it), and whether
     * driver mode is on and who drives (X-Pairpad-Drive, X-Pairpad-Driver; null when
     * the mode is off), known before the document and the server's notices have loaded.
     */
    async text(
      id: string,
      token: string | null | undefined,
      signal?: AbortSignal,
    ): Promise<{ text: string; heads: string[]; drive: { driver: string } | null }> {
      const { res, text } = await send(fetchImpl, `/rooms/${encodeURIComponent(id)}/text`, { method: "GET", signal, headers: authHeaders(token) })
      const raw = res.headers.get("X-Pairpad-Heads") ?? ""
      const heads = raw.split(",").filter(h => /^[0-9a-f]{64}$/.test(h))
      const drive = res.headers.get("X-Pairpad-Drive") === "on" ? { driver: res.headers.get("X-Pairpad-Driver") ?? "" } : null
      return { text, heads, drive }
    },
    /** The room's text at a version (heads: hex change hashes). */
    async textAt(id: string, token: string | null | undefined, heads: string[], signal?: AbortSignal): Promise<string> {
      const q = encodeURIComponent(heads.join(","))
      return (await send(fetchImpl, `/rooms/${encodeURIComponent(id)}/text?heads=${q}`, { method: "GET", signal, headers: authHeaders(token) })).text
    },
    blame(id: string, token: string | null | undefined, signal?: AbortSignal): Promise<BlameSpan[]> {
      return request(fetchImpl, `/rooms/${encodeURIComponent(id)}/blame`, { method: "GET", signal, headers: authHeaders(token) })
    },
    /** Owner only: each connected peer's link and role as the server granted them. */
    people(id: string, token: string, signal?: AbortSignal): Promise<{ people: ServerPerson[] }> {
      return request(fetchImpl, `/rooms/${encodeURIComponent(id)}/people`, { method: "GET", signal, headers: authHeaders(token) })
    },
    revokeLink(id: string, token: string, linkId: string): Promise<LinkInfo> {
      return request(fetchImpl, `/rooms/${encodeURIComponent(id)}/links/${encodeURIComponent(linkId)}`, {
        method: "DELETE",
        headers: authHeaders(token),
      })
    },
    autocomplete(req: AutocompleteRequest, signal?: AbortSignal): Promise<AutocompleteResponse> {
      return request<AutocompleteResponse>(fetchImpl, "/autocomplete", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(req),
        signal,
      })
    },
  }
}

export type Api = ReturnType<typeof createApi>

export const api: Api = createApi()
