import { useCallback, useEffect, useRef } from "react"
import { EditorState } from "@codemirror/state"
import { EditorView } from "@codemirror/view"
import { startCompletion } from "@codemirror/autocomplete"
import { automergeBinding } from "./automergeBinding"
import { originOf } from "./origin"
import type { DocHandle } from "@automerge/automerge-repo"
import { useAppSelector, useAppStore } from "../app/hooks"
import { selectLanguage, selectPeersWithCursor, selectReadOnly } from "../app/selectors"
import type { RoomDoc, RoomSession } from "../app/roomSession"
import { baseExtensions } from "./setup"
import { parseCatchUp } from "./parseCatchUp"
import { readOnlyCompartment, readOnlyExtensions, useViewSettings } from "./viewSettings"
import { remoteCursors, remoteCursorsField, setRemoteCursors } from "./remoteCursors"
import { computeRemoteCursors, sameCursors } from "../features/presence/remoteCursorModel"
import { ghostAccepted, ghostField, ghostText, setGhost } from "./ghostText"
import { SuggestionController, setSuggestionList, suggestionListField, suggestionsExtension } from "./suggestions"
import { api } from "../lib/api"
import {
  suggestionAccepted,
  suggestionFailed,
  suggestionReceived,
  suggestionRequested,
  suggestionsCleared,
} from "../features/suggestions/suggestionsSlice"
import { useDarkTheme } from "../components/useTheme"
import { installDebugHook } from "./debugHook"
import { attachFollow } from "./follow"
import { docSizeLimit } from "./sizeLimit"
import { noticeShown } from "../features/room/roomSlice"
import { blame } from "./blame"
import { useBlame } from "./useBlame"
import { setSinceLeft, sinceLeftHighlight } from "./sinceLeft"
import { caretNow, type EditorHandover } from "./preview"
import type { Range } from "../lib/sinceLeft"

interface Props {
  session: RoomSession
  handle: DocHandle<RoomDoc>
  /** a modal dialog has the keyboard: the editor must not take focus until it closes */
  modalOpen?: boolean
  /** tint the code by author (editor/blame.ts) */
  blameOn?: boolean
  /** text inserted while the person was away, highlighted until this becomes null */
  sinceLeft?: Range[] | null
  /** caret and scroll of the preview this editor replaces (editor/preview.ts) */
  handover?: EditorHandover | null
}


/** The room's CodeMirror editor, bound to the doc's `content` by automergeBinding (modelled on automerge-codemirror). */
export function CodeEditor({ session, handle, modalOpen = false, blameOn = false, sinceLeft = null, handover = null }: Props) {
  const host = useRef<HTMLDivElement>(null)
  const viewRef = useRef<EditorView | null>(null)
  const store = useAppStore()
  const language = useAppSelector(selectLanguage)
  const readOnly = useAppSelector(selectReadOnly)
  const dark = useDarkTheme()

  // Create the view once per handle. Language and theme changes reconfigure it.
  useEffect(() => {
    const initial = store.getState()
    let queued = false
    const refreshCursors = () => {
      if (queued) return
      queued = true
      // Deferred: never dispatch inside an editor update, and let the binding apply
      // the doc change to the editor first so indexes agree with `handle.doc()`.
      queueMicrotask(() => {
        queued = false
        const view = viewRef.current
        if (!view) return
        const peers = selectPeersWithCursor(store.getState())
        const current = view.state.field(remoteCursorsField)
        const next = computeRemoteCursors(handle.doc(), peers, current)
        if (!sameCursors(current, next)) view.dispatch({ effects: setRemoteCursors.of(next) })
      })
    }
    let selectionQueued = false
    const reportSelection = () => {
      if (selectionQueued) return
      selectionQueued = true
      queueMicrotask(() => {
        selectionQueued = false
        const view = viewRef.current
        if (!view) return
        const { anchor, head } = view.state.selection.main
        session.setLocalSelection({ anchor, head })
      })
    }

    const makeController = (view: EditorView) =>
      new SuggestionController({
        fetch: (req, signal) => api.autocomplete(req, signal),
        snapshot: () => {
          const sel = view.state.selection.main
          return { code: view.state.doc.toString(), cursor: sel.head, hasSelection: !sel.empty }
        },
        settings: () => {
          const s = store.getState()
          return {
            enabled: s.preferences.suggestionsEnabled && view.hasFocus,
            delayMs: s.preferences.suggestionDelayMs,
            language: s.room.language,
            roomId: session.roomId,
          }
        },
        sink: {
          requested: (requestId, at) => store.dispatch(suggestionRequested({ requestId, at })),
          received: (requestId, items, engine, tookMs) =>
            store.dispatch(suggestionReceived({ requestId, items, engine, tookMs })),
          failed: (requestId, message) => store.dispatch(suggestionFailed({ requestId, message })),
          cleared: () => {
            if (store.getState().suggestions.status !== "idle") store.dispatch(suggestionsCleared())
            queueMicrotask(() => {
              const v = viewRef.current
              if (v && (v.state.field(ghostField) || v.state.field(suggestionListField)))
                v.dispatch({ effects: [setGhost.of(null), setSuggestionList.of(null)] })
            })
          },
          show: (ghost, items, at) => {
            const v = viewRef.current
            if (!v) return
            v.dispatch({
              effects: [setGhost.of(ghost.text ? ghost : null), setSuggestionList.of({ at, items })],
            })
          },
        },
      })

    const doc = handle.doc()
    const content = doc.content
    const clamp = (n: number) => Math.max(0, Math.min(content.length, n))
    const caret = handover ? caretNow(handover, doc, ["content"]) : null
    const view = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: content,
        selection: caret ? { anchor: clamp(caret.anchor), head: clamp(caret.head) } : undefined,
        extensions: [
          baseExtensions(initial.room.language, dark),
          parseCatchUp,
          readOnlyCompartment.of(readOnlyExtensions(selectReadOnly(initial))),
          docSizeLimit(
            () => store.getState().room.info?.max_doc_bytes ?? null,
            r =>
              store.dispatch(
                noticeShown(
                  `That edit was not applied: it would make the document larger than this server allows ` +
                    `(${Math.floor(r.limit / 1024).toLocaleString()} KiB). Remove some text first, or split the file.`,
                ),
              ),
            () => store.getState().room.language.length, // language ids are ASCII
          ),
          automergeBinding(handle, ["content"], originOf),
          remoteCursors(),
          blame(),
          sinceLeftHighlight(),
          ghostText(),
          suggestionsExtension(makeController),
          EditorView.updateListener.of(u => {
            if (u.selectionSet || u.docChanged) reportSelection()
            if (u.docChanged) refreshCursors()
            if (u.transactions.some(tr => tr.effects.some(e => e.is(ghostAccepted)))) store.dispatch(suggestionAccepted())
          }),
          EditorView.contentAttributes.of({ "aria-label": "Code editor", "data-testid": "editor" }),
        ],
      }),
    })
    viewRef.current = view
    if (handover) view.scrollDOM.scrollTop = handover.scrollTop
    let lastPeers = selectPeersWithCursor(store.getState())
    const unsubscribeStore = store.subscribe(() => {
      const peers = selectPeersWithCursor(store.getState())
      if (peers !== lastPeers) {
        lastPeers = peers
        refreshCursors()
      }
    })
    handle.on("change", refreshCursors)
    refreshCursors()
    reportSelection()
    const removeHook = installDebugHook({ view, session, handle, store, startCompletion: () => startCompletion(view) })
    const detachFollow = attachFollow(view, store, handle, session)
    return () => {
      detachFollow()
      removeHook()
      unsubscribeStore()
      handle.off("change", refreshCursors)
      view.destroy()
      viewRef.current = null
    }
    // The view is created once per handle; language and theme changes reconfigure it below.
  }, [handle, session, store])

  useViewSettings(viewRef, { language, dark, readOnly }, modalOpen, handle)

  useEffect(() => {
    viewRef.current?.dispatch({ effects: setSinceLeft.of(sinceLeft) })
  }, [sinceLeft, handle])

  const blameFailed = useCallback((why: string) => store.dispatch(noticeShown(`Blame is not available: ${why}.`)), [store])
  useBlame(viewRef, session, handle, blameOn, blameFailed)

  return <div className="editor-host" ref={host} data-language={language} data-readonly={readOnly ? "true" : "false"} />
}
