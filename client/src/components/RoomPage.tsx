import { useCallback, useEffect, useRef, useState } from "react"
import type { DocHandle } from "@automerge/automerge-repo"
import { useAppDispatch, useAppSelector, useAppStore } from "../app/hooks"
import { selectPreferences, selectReadOnly, selectRoom, selectSuggestions } from "../app/selectors"
import { api, ApiError } from "../lib/api"
import { isValidRoomId } from "../lib/roomId"
import { rememberRoom } from "../lib/recentRooms"
import { browserStore } from "../lib/storage"
import { RoomSession, type RoomDoc } from "../app/roomSession"
import { noticeCleared, noticeShown, roomFailed, roomInfoReceived, roomNotFound, roomOpened, roomReady, roomUnauthorized, sinceLeftDismissed } from "../features/room/roomSlice"
import { adoptTokenFromLocation, forgetToken } from "../lib/tokens"
import { initialDriveState, pairingReceived } from "../features/drive/driveSlice"
import { selectConnection } from "../app/selectors"
import { colorChanged, nameChanged, suggestionsToggled } from "../features/preferences/preferencesSlice"
import { CodeEditor } from "../editor/CodeEditor"
import { PreviewEditor } from "../editor/PreviewEditor"
import { PreviewEdits, waitForHeads, type EditorHandover } from "../editor/preview"
import { originOf } from "../editor/origin"
import { ConnectionBadge } from "./ConnectionBadge"
import { PeerList } from "./PeerList"
import { LanguageSelect } from "./LanguageSelect"
import { ShareDialog } from "./ShareDialog"
import { NameDialog } from "./NameDialog"
import { NotFound } from "./NotFound"
import { onLinkClick } from "./router"
import { languageLabel } from "../lib/languages"
import { HeaderMenu } from "./HeaderMenu"
import { ThemeSwitch } from "./useTheme"
import { DownloadButton } from "./DownloadButton"
import { CopyVersionLink, VersionView, versionFromUrl } from "./VersionView"
import { Timeline } from "./Timeline"
import { FollowBar, PresentToggle, useAutoFollow } from "./Follow"
import { DriveBar, DriveToggle } from "./DriveBar"
import { NotesPanel, NotesToggle } from "./NotesPanel"
import { suggestionsCleared } from "../features/suggestions/suggestionsSlice"

/**
 * Rooms of at least this many characters open with their plain text first: Automerge
 * 2.2 needs about 0.3 s to load 50,000 characters in the browser, 2-4 s for 600,000.
 */
const PREVIEW_MIN_CHARS = 50_000
/** The longest the document's first sync message waits for the preview (ms). */
const PREVIEW_WAIT_MS = 2_000

declare global {
  interface Window {
    /** end-to-end tests: the room page waits for this before the document replaces the preview */
    __pairpadHoldOpen?: Promise<unknown>
  }
}

function firstLine(text: string): string {
  return (text.split("\n").find(l => l.trim()) ?? "").trim().slice(0, 80)
}

export function RoomPage({ roomId }: { roomId: string }) {
  const valid = isValidRoomId(roomId)
  if (!valid) return <NotFound what="Room not found" detail={`“${roomId}” is not a valid room id.`} />
  return <ValidRoomPage key={roomId} roomId={roomId} />
}

function ValidRoomPage({ roomId }: { roomId: string }) {
  const dispatch = useAppDispatch()
  const store = useAppStore()
  const room = useAppSelector(selectRoom)
  const prefs = useAppSelector(selectPreferences)
  const [session, setSession] = useState<RoomSession | null>(null)
  const [handle, setHandle] = useState<DocHandle<RoomDoc> | null>(null)
  // A long room's text, editable while its document loads (editor/preview.ts).
  const [preview, setPreview] = useState<PreviewEdits | null>(null)
  const [handover, setHandover] = useState<EditorHandover | null>(null)
  const [attempt, setAttempt] = useState(0)
  const [editingName, setEditingName] = useState(false)
  const [blameOn, setBlameOn] = useState(false)
  const [timelineOpen, setTimelineOpen] = useState(false)
  const [notesOpen, setNotesOpen] = useState(false)
  // A link's token moves from the address bar's fragment to localStorage (see lib/tokens).
  const [token] = useState(() => adoptTokenFromLocation(roomId))
  // `?v=HASH,…`: show the code at that version (a version link) instead of the live editor.
  const version = versionFromUrl(location.search)
  const conn = useAppSelector(selectConnection)
  const readOnly = useAppSelector(selectReadOnly)

  useEffect(() => {
    dispatch(roomOpened(roomId))
    const s = new RoomSession(roomId, store, { token })
    const ac = new AbortController()
    setSession(s)
    setHandle(null)
    setPreview(null)
    setHandover(null)
    let notFound = false
    let opened = false
    let shown: PreviewEdits | null = null
    // A long room opens with the server's plain text, editable at once (editor/preview.ts):
    // the server's first sync message waits until that text is on screen, because loading
    // the document takes the page's only thread for seconds. A short room (or an older
    // server, which sends no version, or no answer within PREVIEW_WAIT_MS) opens as before.
    let painted: () => void = () => undefined
    const previewGate = new Promise<void>(resolve => {
      painted = resolve
      setTimeout(resolve, PREVIEW_WAIT_MS)
    })
    s.adapter.holdMessagesUntil(previewGate)
    api
      .text(roomId, token, ac.signal)
      .then(({ text, heads, drive }) => {
        // Driver mode is on: read-only unless we drive, from the start (the server's
        // notice comes after the document, and a navigator's first write, even its name
        // in the people map, would be refused with 4403).
        if (drive && store.getState().drive.version === 0 && !ac.signal.aborted)
          dispatch(pairingReceived({ ...initialDriveState, on: true, driver: drive.driver }))
        if (!heads.length || text.length < PREVIEW_MIN_CHARS || opened || notFound || ac.signal.aborted) return painted()
        shown = new PreviewEdits(text, heads, painted)
        setPreview(shown)
      })
      .catch(() => painted()) // offline, or refused: the document opens as before
    api
      .getRoom(roomId, ac.signal, token)
      .then(info => {
        dispatch(roomInfoReceived(info))
        // An application token names its holder.
        if (info.name && info.name !== store.getState().preferences.name) dispatch(nameChanged(info.name))
      })
      .catch(e => {
        if (e instanceof ApiError && (e.status === 404 || e.status === 400)) {
          notFound = true
          dispatch(roomNotFound(roomId))
          void s.dispose()
        } else if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
          notFound = true
          if (e.status === 401) forgetToken(roomId) // revoked, expired or forged: never offer it again
          dispatch(roomUnauthorized(roomId))
          void s.dispose()
        }
        // Unreachable: carry on with the local copy if this browser has one.
      })
    s.open(ac.signal)
      .then(async h => {
        await window.__pairpadHoldOpen // tests: keep the preview up until they release it
        if (notFound || ac.signal.aborted) return
        // The preview's version must be in the document before its edits can be made there.
        while (shown && !(await waitForHeads(h, shown.heads, 10_000, ac.signal))) {
          if (ac.signal.aborted) return
        }
        if (notFound || ac.signal.aborted) return
        opened = true
        if (shown) {
          // Hand the preview's edits and caret over to the document, then swap editors.
          try {
            setHandover(shown.commit(h, ["content"], originOf))
          } catch (e) {
            dispatch(noticeShown(`What you typed while the room loaded could not be kept: ${e instanceof Error ? e.message : String(e)}`))
          }
          setPreview(null)
        }
        const doc = h.doc()
        dispatch(roomReady({ id: roomId, language: doc.language, length: doc.content.length }))
        rememberRoom(browserStore(), { id: roomId, language: s.language(), visitedAt: Date.now(), preview: firstLine(doc.content) })
        setHandle(h)
      })
      .catch(e => {
        if (ac.signal.aborted || notFound) return
        const offline = store.getState().connection.status !== "connected"
        dispatch(
          roomFailed({
            id: roomId,
            message: offline
              ? "Can't reach the Pairpad server, and this browser has no saved copy of the room."
              : `Couldn't open the room: ${e instanceof Error ? e.message : String(e)}`,
          }),
        )
      })
    return () => {
      ac.abort()
      const text = s.docHandle ? s.text() : null
      if (text !== null && !notFound)
        rememberRoom(browserStore(), { id: roomId, language: s.language(), visitedAt: Date.now(), preview: firstLine(text) })
      void s.dispose()
    }
  }, [roomId, store, dispatch, attempt, token])

  // Closed 4401 (link revoked or expired while connected): the link is no good any more.
  useEffect(() => {
    if (conn.status === "failed" && conn.lastCloseCode === 4401) {
      forgetToken(roomId)
      dispatch(roomUnauthorized(roomId))
    }
  }, [conn.status, conn.lastCloseCode, dispatch, roomId])

  // After a reconnect, ask again who we are: the owner may have changed our role meanwhile.
  // The first connection needs no second look: the room was just fetched on open.
  const firstConnectedAt = useRef<{ room: string; at: number } | null>(null)
  useEffect(() => {
    if (conn.status !== "connected" || !conn.lastConnectedAt) return
    if (firstConnectedAt.current?.room !== roomId) {
      firstConnectedAt.current = { room: roomId, at: conn.lastConnectedAt }
      return
    }
    if (firstConnectedAt.current.at === conn.lastConnectedAt) return
    const ac = new AbortController()
    api
      .getRoom(roomId, ac.signal, token)
      .then(info => dispatch(roomInfoReceived(info)))
      .catch(e => {
        if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
          if (e.status === 401) forgetToken(roomId)
          dispatch(roomUnauthorized(roomId))
        }
      })
    return () => ac.abort()
  }, [conn.status, conn.lastConnectedAt, roomId, token, dispatch])

  // Keep the recent-rooms preview current even when the tab is closed or reloaded
  // (no React unmount then).
  useEffect(() => {
    if (!session || !handle) return
    const save = () =>
      rememberRoom(browserStore(), { id: roomId, language: session.language(), visitedAt: Date.now(), preview: firstLine(session.text()) })
    const onHidden = () => document.visibilityState === "hidden" && save()
    window.addEventListener("pagehide", save)
    document.addEventListener("visibilitychange", onHidden)
    return () => {
      window.removeEventListener("pagehide", save)
      document.removeEventListener("visibilitychange", onHidden)
    }
  }, [session, handle, roomId])

  // "Suggestions unavailable" while the server was unreachable goes when the connection is
  // back (a new connection, not an error the connected server gave).
  useEffect(() => {
    if (conn.status === "connected" && store.getState().suggestions.status === "error") dispatch(suggestionsCleared())
  }, [conn.status, conn.lastConnectedAt, store, dispatch])

  useAutoFollow()

  // Tell the others when our name or colour changes.
  useEffect(() => {
    session?.userChanged()
  }, [session, prefs.name, prefs.color])

  useEffect(() => {
    document.title = room.phase === "ready" ? `Pairpad · ${languageLabel(room.language)}` : "Pairpad"
  }, [room.phase, room.language])

  const retry = useCallback(() => session?.reconnectNow(), [session])
  // Home lists this room with the code as it is now.
  const saveRecent = () => {
    if (session?.docHandle && room.phase === "ready")
      rememberRoom(browserStore(), { id: roomId, language: session.language(), visitedAt: Date.now(), preview: firstLine(session.text()) })
  }

  if (room.phase === "not-found") return <NotFound what="Room not found" />
  if (room.phase === "unauthorized")
    return (
      <NotFound
        what="This link is not valid any more"
        detail={
          token
            ? "It may have been revoked or have expired. Ask the room's owner for a new link."
            : "This room can only be opened with a link from its owner. Ask them to share one."
        }
        testId="link-invalid"
      />
    )

  const needName = prefs.name === null || editingName
  return (
    <div className="room" data-testid="room" data-phase={room.phase}>
      <header className="topbar">
        <a href="/" className="brand" onClick={e => (saveRecent(), onLinkClick(e))} title="Home">
          Pairpad
        </a>
        <LanguageSelect value={room.language} onChange={l => session?.setLanguage(l)} disabled={readOnly} />
        {room.role === "viewer" && (
          <span className="view-only-badge" data-testid="view-only-badge" title="You can follow along; the room's owner can let you edit.">
            View only
          </span>
        )}
        <div className="spacer" />
        <PeerList onEditSelf={() => setEditingName(true)} token={token} />
        <ConnectionBadge onRetry={retry} />
        <HeaderMenu>
          <SuggestionsToggle enabled={prefs.suggestionsEnabled} onToggle={() => dispatch(suggestionsToggled(undefined))} />
          <ThemeSwitch />
          <DownloadButton session={session} roomId={roomId} language={room.language} disabled={!handle} />
          <BlameToggle on={blameOn} onToggle={() => setBlameOn(b => !b)} disabled={!handle} />
          <CopyVersionLink roomId={roomId} session={session} onCopied={m => dispatch(noticeShown(m))} />
          <button
            type="button"
            className={`toggle${timelineOpen ? " on" : ""}`}
            aria-pressed={timelineOpen}
            data-testid="timeline-toggle"
            disabled={!handle}
            onClick={() => setTimelineOpen(o => !o)}
            title="Play back the room's history"
          >
            ⏵ Timeline
          </button>
          <PresentToggle session={session} />
          <DriveToggle session={session} />
          <NotesToggle allowed={!!room.info?.notes} open={notesOpen} onToggle={() => setNotesOpen(o => !o)} />
        </HeaderMenu>
        <ShareDialog roomId={roomId} token={token} role={room.role} linkId={room.linkId} />
      </header>
      {room.notice && (
        <div className="notice" role="alert" data-testid="room-notice">
          <span>{room.notice}</span>
          <button type="button" className="button" onClick={() => dispatch(noticeCleared())}>
            Dismiss
          </button>
        </div>
      )}
      {handle && room.sinceLeft && (
        <div className="notice since-left" role="status" data-testid="since-left-banner">
          <span>Changed while you were away: the new text is highlighted.</span>
          <button type="button" className="button" data-testid="since-left-dismiss" onClick={() => dispatch(sinceLeftDismissed())}>
            Dismiss
          </button>
        </div>
      )}
      <FollowBar />
      <DriveBar session={session} />
      <div className="workspace">
        <main className="editor-area">
          {version ? (
            <VersionView roomId={roomId} token={token} heads={version} />
          ) : timelineOpen ? (
            <Timeline roomId={roomId} token={token} handle={handle} onClose={() => setTimelineOpen(false)} />
          ) : handle && session ? (
            <CodeEditor
              session={session}
              handle={handle}
              handover={handover}
              modalOpen={needName}
              blameOn={blameOn}
              sinceLeft={room.sinceLeft}
            />
          ) : preview && room.phase !== "error" ? (
            <PreviewEditor edits={preview} modalOpen={needName} />
          ) : room.phase === "error" ? (
            <div className="center-page">
              <div className="card narrow" role="alert" data-testid="room-error">
                <h2>Can't open this room</h2>
                <p className="muted">{room.error}</p>
                <button type="button" className="button primary" onClick={() => setAttempt(a => a + 1)}>
                  Try again
                </button>
              </div>
            </div>
          ) : (
            <div className="loading" data-testid="room-loading">
              Opening room…
            </div>
          )}
        </main>
        {notesOpen && room.info?.notes && <NotesPanel roomId={roomId} token={token} onClose={() => setNotesOpen(false)} />}
      </div>
      <StatusBar />
      {needName && (
        <NameDialog
          initialName={prefs.name ?? ""}
          initialColor={prefs.color}
          onCancel={prefs.name !== null ? () => setEditingName(false) : undefined}
          onSave={(name, color) => {
            dispatch(nameChanged(name))
            dispatch(colorChanged(color))
            setEditingName(false)
          }}
        />
      )}
    </div>
  )
}

function BlameToggle({ on, onToggle, disabled }: { on: boolean; onToggle: () => void; disabled: boolean }) {
  return (
    <button
      type="button"
      className={`toggle${on ? " on" : ""}`}
      aria-pressed={on}
      onClick={onToggle}
      disabled={disabled}
      data-testid="blame-toggle"
      title="Tint the code by who wrote it; hover for who, when and how (typed, pasted, AI)"
    >
      Blame {on ? "on" : "off"}
    </button>
  )
}

function SuggestionsToggle({ enabled, onToggle }: { enabled: boolean; onToggle: () => void }) {
  return (
    <button
      type="button"
      className={`toggle${enabled ? " on" : ""}`}
      aria-pressed={enabled}
      onClick={onToggle}
      data-testid="suggestions-toggle"
      title="AI suggestions after a typing pause (Tab accepts, Esc dismisses, Ctrl-Space lists them)"
    >
      AI {enabled ? "on" : "off"}
    </button>
  )
}

function StatusBar() {
  const room = useAppSelector(selectRoom)
  const sug = useAppSelector(selectSuggestions)
  const prefs = useAppSelector(selectPreferences)
  let hint = ""
  if (!prefs.suggestionsEnabled) hint = "Suggestions off"
  else if (sug.status === "loading") hint = "Thinking…"
  else if (sug.status === "shown") hint = `Tab to accept · Esc to dismiss${sug.items.length > 1 ? ` · Ctrl-Space for ${sug.items.length} options` : ""}`
  else if (sug.status === "error") hint = "Suggestions unavailable"
  return (
    <footer className="statusbar" data-testid="statusbar">
      <span className="status-language" data-testid="status-language">
        {languageLabel(room.language)}
      </span>
      <span className="status-count">{room.length.toLocaleString()} chars</span>
      <span className="spacer" />
      <span data-testid="suggestion-status" data-status={sug.status}>
        {hint}
      </span>
      <span className="muted status-room-id" title="Room id">
        {room.id}
      </span>
    </footer>
  )
}
