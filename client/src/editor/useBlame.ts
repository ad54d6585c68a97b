import { useEffect, type RefObject } from "react"
import type { EditorView } from "@codemirror/view"
import type { DocHandle } from "@automerge/automerge-repo"
import type { RoomDoc, RoomSession } from "../app/roomSession"
import { api, ApiError } from "../lib/api"
import { setBlame, toUtf16 } from "./blame"

/** After the document changes, blame is fetched again once edits pause this long. */
export const BLAME_REFRESH_MS = 800

/**
 * While `on`, keeps the editor's blame tint (editor/blame.ts) fed from GET /blame: once
 * at once, then after every pause in the document's changes. `onError` hears why it
 * could not be fetched (blame is then cleared).
 */
export function useBlame(
  viewRef: RefObject<EditorView | null>,
  session: RoomSession,
  handle: DocHandle<RoomDoc>,
  on: boolean,
  onError: (message: string) => void,
) {
  useEffect(() => {
    const view = () => viewRef.current
    if (!on) {
      view()?.dispatch({ effects: setBlame.of(null) })
      return
    }
    let ctrl: AbortController | null = null
    let timer: ReturnType<typeof setTimeout> | null = null
    const fetchBlame = () => {
      ctrl?.abort()
      const mine = (ctrl = new AbortController())
      api.blame(session.roomId, session.token, mine.signal).then(
        spans => {
          const v = view()
          if (!mine.signal.aborted && v) v.dispatch({ effects: setBlame.of(toUtf16(spans, v.state.doc.toString())) })
        },
        e => {
          if (mine.signal.aborted) return
          view()?.dispatch({ effects: setBlame.of(null) })
          onError(e instanceof ApiError ? e.message : "the server did not answer")
        },
      )
    }
    const onChange = () => {
      if (timer) clearTimeout(timer)
      timer = setTimeout(fetchBlame, BLAME_REFRESH_MS)
    }
    fetchBlame()
    handle.on("change", onChange)
    return () => {
      handle.off("change", onChange)
      if (timer) clearTimeout(timer)
      ctrl?.abort()
      view()?.dispatch({ effects: setBlame.of(null) })
    }
  }, [on, session, handle, viewRef, onError])
}
