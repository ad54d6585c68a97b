import { useEffect, useState } from "react"
import * as A from "@automerge/automerge"
import type { RoomSession } from "../app/roomSession"
import { api, ApiError } from "../lib/api"
import { navigate } from "./router"

/** The version a room URL names (`/room/{id}?v=HASH,HASH`), or null for the live room. */
export function versionFromUrl(search: string): string[] | null {
  const v = new URLSearchParams(search).get("v")
  if (!v) return null
  const heads = v.split(",").filter(h => /^[0-9a-f]{64}$/.test(h))
  return heads.length ? heads : null
}

/** A link to the room as it is now: `/room/{id}?v=<heads>` (no token: the recipient needs their own access). */
export function versionLink(roomId: string, session: RoomSession | null): string | null {
  const handle = session?.docHandle
  if (!handle) return null
  return `${location.origin}/room/${encodeURIComponent(roomId)}?v=${A.getHeads(handle.doc()).join(",")}`
}

/** Copies versionLink to the clipboard. */
export function CopyVersionLink({ roomId, session, onCopied }: { roomId: string; session: RoomSession | null; onCopied: (msg: string) => void }) {
  const copy = () => {
    const link = versionLink(roomId, session)
    if (!link) return
    navigator.clipboard.writeText(link).then(
      () => onCopied("Link to this version copied. Whoever opens it needs access to the room."),
      () => onCopied(`Copy this link to the version: ${link}`),
    )
  }
  return (
    <button type="button" className="toggle" data-testid="copy-version-link" disabled={!session?.docHandle} onClick={copy} title="Copy a link to the code exactly as it is now">
      🔗 Version link
    </button>
  )
}

/** The room's code at a past version, read-only (GET /rooms/{id}/text?heads=), with a way back. */
export function VersionView({ roomId, token, heads }: { roomId: string; token: string | null; heads: string[] }) {
  const [state, setState] = useState<{ text?: string; error?: string }>({})
  const key = heads.join(",")
  useEffect(() => {
    const ctrl = new AbortController()
    setState({})
    api.textAt(roomId, token, key.split(","), ctrl.signal).then(
      text => setState({ text }),
      e => {
        if (!ctrl.signal.aborted) setState({ error: e instanceof ApiError ? e.message : "The server did not answer." })
      },
    )
    return () => ctrl.abort()
  }, [roomId, token, key])
  const back = () => navigate(`/room/${encodeURIComponent(roomId)}`)
  return (
    <div className="version-view" data-testid="version-view">
      <div className="notice" role="status" data-testid="version-banner">
        <span>{state.error ? `This version can't be shown: ${state.error}` : "The code as it was at this version (read-only)."}</span>
        {state.text !== undefined && (
          <button type="button" className="button" onClick={() => void navigator.clipboard.writeText(state.text!)}>
            Copy code
          </button>
        )}
        <button type="button" className="button primary" data-testid="version-back" onClick={back}>
          Back to live
        </button>
      </div>
      {state.text !== undefined && (
        <pre className="version-text" data-testid="version-text">
          {state.text}
        </pre>
      )}
    </div>
  )
}
