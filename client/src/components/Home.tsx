import { useEffect, useState, type FormEvent } from "react"
import { api, ApiError } from "../lib/api"
import { DEFAULT_LANGUAGE, languageLabel, type LanguageId } from "../lib/languages"
import { parseRoomInput, roomPath } from "../lib/roomId"
import { forgetRoom, loadRecentRooms, type RecentRoom } from "../lib/recentRooms"
import { browserStore } from "../lib/storage"
import { loadToken, saveToken, tokenFromLink } from "../lib/tokens"
import { LanguageSelect } from "./LanguageSelect"
import { navigate, onLinkClick } from "./router"
import { ThemeSwitch } from "./useTheme"

function timeAgo(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000))
  if (s < 60) return "just now"
  if (s < 3600) return `${Math.floor(s / 60)} min ago`
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`
  return `${Math.floor(s / 86400)} d ago`
}

export function Home() {
  const [language, setLanguage] = useState<LanguageId>(() => loadRecentRooms(browserStore())[0]?.language ?? DEFAULT_LANGUAGE)
  const [creating, setCreating] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [joinText, setJoinText] = useState("")
  const [joinError, setJoinError] = useState<string | null>(null)
  const [joining, setJoining] = useState(false)
  const [recent, setRecent] = useState<RecentRoom[]>(() => loadRecentRooms(browserStore()))
  // Read again once mounted: a room left just now (through the logo) saves its preview as it closes.
  useEffect(() => setRecent(loadRecentRooms(browserStore())), [])

  const create = async () => {
    setCreating(true)
    setError(null)
    try {
      const room = await api.createRoom(language)
      // The owner token stays in this browser (per room); the room page uses it.
      if (room.owner_token) saveToken(room.room_id, room.owner_token)
      navigate(roomPath(room.room_id))
    } catch (e) {
      setError(e instanceof ApiError ? e.message : "Could not create a room.")
      setCreating(false)
    }
  }

  const join = async (e: FormEvent) => {
    e.preventDefault()
    setJoinError(null)
    const id = parseRoomInput(joinText)
    if (!id) {
      setJoinError("That doesn't look like a Pairpad room link or id.")
      return
    }
    setJoining(true)
    const token = tokenFromLink(joinText) ?? loadToken(id)
    try {
      await api.getRoom(id, undefined, token)
      if (token) saveToken(id, token)
      navigate(roomPath(id))
    } catch (err) {
      setJoining(false)
      if (err instanceof ApiError && (err.status === 404 || err.status === 400)) {
        setJoinError("No room with that id exists on this server.")
      } else if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        setJoinError(
          token ? "This link is not valid any more: ask the room's owner for a new one." : "This room needs a link with a token: ask its owner to share one.",
        )
      } else if (err instanceof ApiError && err.unreachable && recent.some(r => r.id === id)) {
        navigate(roomPath(id)) // we have a local copy: open it offline
      } else {
        setJoinError(err instanceof ApiError ? err.message : "Could not check that room.")
      }
    }
  }

  return (
    <div className="home">
      <header className="home-header">
        <h1 className="brand-large">Pairpad</h1>
        <p className="muted">Real-time pair programming in the browser. Create a room, share the link, code together.</p>
        <ThemeSwitch />
      </header>
      {error && (
        <div className="banner error" role="alert" data-testid="home-error">
          {error}
        </div>
      )}
      <div className="home-grid">
        <section className="card">
          <h2>New room</h2>
          <div className="row">
            <LanguageSelect value={language} onChange={setLanguage} id="new-room-language" />
            <button type="button" className="button primary" onClick={create} disabled={creating} data-testid="create-room">
              {creating ? "Creating…" : "Create room"}
            </button>
          </div>
        </section>
        <section className="card">
          <h2>Join a room</h2>
          <form className="row" onSubmit={join}>
            <input
              className="text-input"
              placeholder="Paste a room link or id"
              aria-label="Room link or id"
              value={joinText}
              onChange={e => setJoinText(e.target.value)}
              data-testid="join-input"
            />
            <button type="submit" className="button" disabled={joining || !joinText.trim()} data-testid="join-room">
              {joining ? "Checking…" : "Join"}
            </button>
          </form>
          {joinError && (
            <p className="field-error" role="alert" data-testid="join-error">
              {joinError}
            </p>
          )}
        </section>
      </div>
      {recent.length > 0 && (
        <section className="card recent">
          <h2>Recent rooms</h2>
          <ul data-testid="recent-rooms">
            {recent.map(r => (
              <li key={r.id}>
                <a href={roomPath(r.id)} onClick={onLinkClick} className="recent-link">
                  <span className="recent-preview">{r.preview || <em className="muted">empty</em>}</span>
                  <span className="recent-meta">
                    {languageLabel(r.language)} · {timeAgo(r.visitedAt)} · <code>{r.id.slice(0, 8)}…</code>
                  </span>
                </a>
                <button
                  type="button"
                  className="icon-button"
                  aria-label="Remove from recent rooms"
                  title="Remove from this list"
                  onClick={() => setRecent(forgetRoom(browserStore(), r.id))}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  )
}
