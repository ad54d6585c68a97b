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
