import { useEffect, useRef, useState } from "react"
import { EditorState } from "@codemirror/state"
import { EditorView, keymap, placeholder } from "@codemirror/view"
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands"
import { api, ApiError } from "../lib/api"
import { NotesSession } from "../app/notesSession"
import { automergeBinding } from "../editor/automergeBinding"
import type { SocketStatus } from "../sync/socketAdapter"

declare global {
  interface Window {
    /** the notes editor, for the end-to-end tests */
    __pairpadNotes?: { view: EditorView; text(): string }
  }
}

/** In the header menu for people who may open the notes. */
export function NotesToggle({ allowed, open, onToggle }: { allowed: boolean; open: boolean; onToggle: () => void }) {
  if (!allowed) return null
  return (
    <button
      type="button"
      className={`toggle${open ? " on" : ""}`}
      aria-pressed={open}
      data-testid="notes-toggle"
      title="Private notes: only the owner and links granted notes see them"
      onClick={onToggle}
    >
      Notes
    </button>
  )
}

/**
 * The room's private notes beside the code: a second Automerge document on its own
 * socket, which the server serves only to owners and links granted notes.
 */
export function NotesPanel({ roomId, token, onClose }: { roomId: string; token: string | null; onClose: () => void }) {
  const host = useRef<HTMLDivElement>(null)
  const [error, setError] = useState<string | null>(null)
  const [status, setStatus] = useState<SocketStatus | "loading">("loading")
  const [readOnly, setReadOnly] = useState(false)
  useEffect(() => {
    const abort = new AbortController()
    let session: NotesSession | null = null
    let view: EditorView | null = null
    ;(async () => {
      try {
        const info = await api.getNotes(roomId, token, abort.signal)
        if (abort.signal.aborted) return
        session = new NotesSession(info, token, r => setStatus(r.status))
        const handle = await session.open(abort.signal)
        if (abort.signal.aborted || !host.current) return
        const ro = info.role === "viewer"
        setReadOnly(ro)
        view = new EditorView({
          parent: host.current,
          state: EditorState.create({
            doc: handle.doc().content,
            extensions: [
              history(),
              keymap.of([...defaultKeymap, ...historyKeymap]),
              EditorView.lineWrapping,
              placeholder("Notes for yourself: the candidate never receives them."),
              ...(ro ? [EditorState.readOnly.of(true), EditorView.editable.of(false)] : []),
              automergeBinding(handle, ["content"]),
            ],
          }),
        })
        const v = view
        window.__pairpadNotes = { view: v, text: () => v.state.doc.toString() }
      } catch (e) {
        if (abort.signal.aborted) return
        setError(e instanceof ApiError ? e.message : "Could not open the notes.")
      }
    })()
    return () => {
      abort.abort()
      view?.destroy()
      delete window.__pairpadNotes
      void session?.dispose()
    }
  }, [roomId, token])
  return (
    <aside className="notes-panel" data-testid="notes-panel" data-status={status} aria-label="Private notes">
      <div className="notes-head">
        <strong>Private notes</strong>
        <span className="muted small">{readOnly ? "read only" : "only you and people you grant notes see these"}</span>
        <div className="spacer" />
        <button type="button" className="link-button" data-testid="notes-close" onClick={onClose}>
          Close
        </button>
      </div>
      {error ? (
        <p className="error-text" role="alert" data-testid="notes-error">
          {error}
        </p>
      ) : (
        <div className="notes-editor" ref={host} data-testid="notes-editor" />
      )}
    </aside>
  )
}
