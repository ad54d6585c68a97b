import { useEffect, useRef } from "react"
import { EditorState } from "@codemirror/state"
import { EditorView } from "@codemirror/view"
import { useAppSelector } from "../app/hooks"
import { selectLanguage, selectReadOnly } from "../app/selectors"
import { useDarkTheme } from "../components/useTheme"
import { baseExtensions } from "./setup"
import { readOnlyCompartment, readOnlyExtensions, useViewSettings } from "./viewSettings"
import type { PreviewEdits } from "./preview"

declare global {
  interface Window {
    /** the preview editor while a long room's document loads (tests, devtools) */
    __pairpadPreview?: { view: EditorView; edits: PreviewEdits }
  }
}

/**
 * The room's text as the server sent it, editable at once while the document loads
 * (editor/preview.ts). Everything typed here is recorded in `edits`; the room page makes
 * those edits in the document and swaps in the live editor when the document is ready.
 */
export function PreviewEditor({ edits, modalOpen = false }: { edits: PreviewEdits; modalOpen?: boolean }) {
  const host = useRef<HTMLDivElement>(null)
  const viewRef = useRef<EditorView | null>(null)
  const language = useAppSelector(selectLanguage)
  // Read-only until GET /rooms/{id} has said who we are: a viewer's edits would be refused.
  const readOnly = useAppSelector(s => selectReadOnly(s) || !s.room.info)
  const dark = useDarkTheme()

  useEffect(() => {
    const view = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: edits.text,
        extensions: [
          baseExtensions(language, dark),
          readOnlyCompartment.of(readOnlyExtensions(readOnly)),
          // Once frozen (the document has taken the edits over), refuse anything more
          // rather than drop it: the live editor replaces this one within a frame.
          EditorState.transactionFilter.of(tr => (tr.docChanged && edits.isFrozen ? [] : tr)),
          EditorView.updateListener.of(u => u.transactions.forEach(tr => edits.record(tr))),
          EditorView.contentAttributes.of({ "aria-label": "Code editor", "data-testid": "editor", "data-preview": "true" }),
        ],
      }),
    })
    viewRef.current = view
    edits.view = view
    window.__pairpadPreview = { view, edits }
    // After the next paint: the text is on screen, the document may start loading.
    const frame = requestAnimationFrame(() => setTimeout(edits.painted, 0))
    return () => {
      cancelAnimationFrame(frame)
      edits.painted()
      if (window.__pairpadPreview?.view === view) delete window.__pairpadPreview
      view.destroy()
      viewRef.current = null
    }
    // One view per preview; language, theme and role reconfigure it below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [edits])

  useViewSettings(viewRef, { language, dark, readOnly }, modalOpen, edits)

  return (
    <>
      <div className="editor-host" ref={host} data-language={language} data-readonly={readOnly ? "true" : "false"} data-testid="editor-preview" />
      <div className="preview-note" role="status" data-testid="preview-note">
        {readOnly ? "Loading the room's history…" : "Loading the room's history… you can already type."}
      </div>
    </>
  )
}
