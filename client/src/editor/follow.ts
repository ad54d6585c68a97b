/**
 * Follow mode in the editor: scrolls to the followed person's viewport and caret as
 * their presence changes; any own keystroke, wheel, touch or click in the editor stops
 * it. Also reports our own first visible line to the session (for those following us).
 */
import { EditorView } from "@codemirror/view"
import type { DocHandle } from "@automerge/automerge-repo"
import type { AppStore } from "../app/store"
import type { RoomDoc, RoomSession } from "../app/roomSession"
import { selectPeerList } from "../app/selectors"
import { resolveSelection } from "../features/presence/cursors"
import { followStopped } from "../features/follow/followSlice"
import type { PeerPresence } from "../features/presence/presenceSlice"

/**
 * Where to scroll to show `peer` as they see it. Their caret moved: show it, at their
 * scroll position when that shows it on our screen too, else centred. Only their
 * scroll moved (they read elsewhere): their first visible line at our top.
 */
function followEffect(view: EditorView, doc: RoomDoc, peer: PeerPresence, caretMoved: boolean) {
  const len = view.state.doc.length
  const clamp = (n: number) => Math.max(0, Math.min(len, n))
  const head = peer.selection ? resolveSelection(doc, peer.selection)?.head : undefined
  const top = peer.top ? resolveSelection(doc, { anchor: peer.top, head: peer.top })?.head : undefined
  if (head !== undefined && (caretMoved || top === undefined)) {
    const rows = Math.max(1, Math.floor(view.scrollDOM.clientHeight / view.defaultLineHeight) - 1)
    const headLine = view.state.doc.lineAt(clamp(head)).number
    const topLine = top === undefined ? -Infinity : view.state.doc.lineAt(clamp(top)).number
    if (headLine < topLine || headLine >= topLine + rows) return EditorView.scrollIntoView(clamp(head), { y: "center" })
  }
  return top === undefined ? null : EditorView.scrollIntoView(clamp(top), { y: "start" })
}

export function attachFollow(view: EditorView, store: AppStore, handle: DocHandle<RoomDoc>, session: RoomSession): () => void {
  let last = { target: "", top: "", head: "" }
  const apply = () => {
    const { target } = store.getState().follow
    const peer = target ? selectPeerList(store.getState()).find(p => p.peerId === target) : undefined
    if (!target || !peer) {
      last = { target: "", top: "", head: "" }
      return
    }
    const now = { target, top: peer.top ?? "", head: peer.selection?.head ?? "" }
    const fresh = now.target !== last.target
    if (!fresh && now.top === last.top && now.head === last.head) return
    const effect = followEffect(view, handle.doc(), peer, fresh || now.head !== last.head)
    last = now
    if (effect) view.dispatch({ effects: effect })
  }
  const unsubscribe = store.subscribe(() => queueMicrotask(apply))

  const stop = () => {
    const { target } = store.getState().follow
    if (!target) return
    const present = selectPeerList(store.getState()).find(p => p.peerId === target)?.present
    store.dispatch(followStopped(present != null ? { present } : undefined))
  }
  const onKey = (e: KeyboardEvent) => {
    if (!["Shift", "Control", "Alt", "Meta"].includes(e.key)) stop()
  }
  window.addEventListener("keydown", onKey, true)
  const userInputs = ["wheel", "touchstart", "mousedown"] as const
  for (const t of userInputs) view.dom.addEventListener(t, stop, { passive: true })

  let frame = 0
  const onScroll = () => {
    if (frame) return
    frame = requestAnimationFrame(() => {
      frame = 0
      session.setLocalTop(view.lineBlockAtHeight(view.scrollDOM.scrollTop).from)
    })
  }
  view.scrollDOM.addEventListener("scroll", onScroll, { passive: true })

  return () => {
    unsubscribe()
    window.removeEventListener("keydown", onKey, true)
    for (const t of userInputs) view.dom.removeEventListener(t, stop)
    view.scrollDOM.removeEventListener("scroll", onScroll)
    if (frame) cancelAnimationFrame(frame)
  }
}
