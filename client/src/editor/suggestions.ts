/**
 * Autocomplete after a typing pause, for the local user only.
 *
 * The controller is plain TypeScript (unit-tested with fake timers and a fake fetch);
 * the CodeMirror side (`suggestionsExtension`) tells it about local typing and caret
 * moves, and shows its answers as ghost text plus entries in the completion list.
 */
import { StateEffect, StateField, type Extension, type Transaction } from "@codemirror/state"
import { ViewPlugin, type EditorView, type ViewUpdate } from "@codemirror/view"
import type { CompletionContext, CompletionResult, CompletionSource } from "@codemirror/autocomplete"
import { isRemoteTx as isReconcileTx } from "./automergeBinding"
import type { AutocompleteRequest, AutocompleteResponse, Suggestion } from "../lib/api"
import { ghostAccepted, ghostField, setGhost, type Ghost } from "./ghostText"
import { markAiCompletion } from "./origin"

/** The part of the best suggestion still to type at `cursor`, or null if it doesn't fit there. */
export function ghostFromSuggestion(doc: string, cursor: number, s: Suggestion): string | null {
  if (!s.text) return null
  if (s.replace) {
    const { from, to } = s.replace
    if (to !== cursor || from > cursor || from < 0) return null
    const typed = doc.slice(from, cursor)
    if (!s.text.startsWith(typed)) return null
    return s.text.slice(typed.length) || null
  }
  return s.text
}

export interface EditorSnapshot {
  code: string
  cursor: number
  /** a non-empty selection never gets suggestions */
  hasSelection: boolean
}

export interface SuggestionSink {
  requested(requestId: number, at: number): void
  received(requestId: number, items: Suggestion[], engine: string, tookMs: number): void
  failed(requestId: number, message: string): void
  cleared(): void
  /** put the ghost (and the list) on screen; called only for a fresh answer */
  show(ghost: Ghost, items: Suggestion[], at: number): void
}

export interface SuggestionControllerOptions {
  fetch: (req: AutocompleteRequest, signal: AbortSignal) => Promise<AutocompleteResponse>
  sink: SuggestionSink
  snapshot: () => EditorSnapshot
  settings: () => { enabled: boolean; delayMs: number; language: string; roomId?: string }
  setTimeout?: (fn: () => void, ms: number) => unknown
  clearTimeout?: (id: unknown) => void
}

export class SuggestionController {
  private readonly o: Required<SuggestionControllerOptions>
  private timer: unknown = null
  private inFlight: AbortController | null = null
  private requestId = 0
  /** bumped by every local edit or caret move; an answer for an older value is stale */
  private generation = 0

  constructor(options: SuggestionControllerOptions) {
    this.o = {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: id => clearTimeout(id as ReturnType<typeof setTimeout>),
      ...options,
    }
  }

  /** The local user typed. `ghostSurvived`: what they typed matched the ghost, which stays. */
  typed(ghostSurvived: boolean) {
    this.generation++
    this.cancel()
    if (ghostSurvived) return
    this.o.sink.cleared()
    this.schedule()
  }

  /** The caret moved without typing, focus left, Esc: nothing pending, nothing shown. */
  interrupted() {
    this.generation++
    this.cancel()
    this.o.sink.cleared()
  }

  /** Ask right away (Ctrl-Space style), ignoring the pause. */
  requestNow() {
    this.generation++
    this.cancel()
    void this.request()
  }

  dispose() {
    this.cancel()
  }

  private cancel() {
    if (this.timer !== null) this.o.clearTimeout(this.timer)
    this.timer = null
    if (this.inFlight) this.inFlight.abort()
    this.inFlight = null
  }

  private schedule() {
    const s = this.o.settings()
    if (!s.enabled) return
    this.timer = this.o.setTimeout(() => {
      this.timer = null
      void this.request()
    }, s.delayMs)
  }

  private async request() {
    const s = this.o.settings()
    if (!s.enabled) return
    const snap = this.o.snapshot()
    if (snap.hasSelection) return
    const id = ++this.requestId
    const generation = this.generation
    const ac = new AbortController()
    this.inFlight = ac
    this.o.sink.requested(id, snap.cursor)
    const req: AutocompleteRequest = { code: snap.code, cursor: snap.cursor, language: s.language, max: 5 }
    if (s.roomId) req.room_id = s.roomId
    let res: AutocompleteResponse
    try {
      res = await this.o.fetch(req, ac.signal)
    } catch (e) {
      if (this.inFlight === ac) this.inFlight = null
      if (ac.signal.aborted || id !== this.requestId) return
      this.o.sink.failed(id, e instanceof Error ? e.message : String(e))
      return
    }
    if (this.inFlight === ac) this.inFlight = null
    // Stale: a newer request exists, or the user typed / moved since we asked.
    if (ac.signal.aborted || id !== this.requestId || generation !== this.generation) return
    const items = Array.isArray(res.suggestions) ? res.suggestions.filter(x => x && typeof x.text === "string") : []
    this.o.sink.received(id, items, res.engine ?? "", res.took_ms ?? 0)
    const now = this.o.snapshot()
    if (now.cursor !== snap.cursor || now.code.length !== snap.code.length) return
    for (const item of items) {
      const text = ghostFromSuggestion(snap.code, snap.cursor, item)
      if (text) {
        this.o.sink.show({ pos: snap.cursor, text, requestId: id }, items, snap.cursor)
        return
      }
    }
    if (items.length) this.o.sink.show({ pos: snap.cursor, text: "", requestId: id }, items, snap.cursor)
  }
}

// --- CodeMirror side ---

/** The answer's whole list, for the completion popup (Ctrl-Space). */
export const setSuggestionList = StateEffect.define<{ at: number; items: Suggestion[] } | null>()

export const suggestionListField = StateField.define<{ at: number; items: Suggestion[] } | null>({
  create: () => null,
  update(list, tr) {
    for (const e of tr.effects) if (e.is(setSuggestionList)) return e.value
    if (!list) return null
    if (tr.docChanged) {
      if (!isReconcileTx(tr)) return null
      return { ...list, at: tr.changes.mapPos(list.at, 1) }
    }
    return list
  },
})

/** Completion source offering the server's suggestions (all of them) at the position they were made for. */
export const aiCompletionSource: CompletionSource = (ctx: CompletionContext): CompletionResult | null => {
  const list = ctx.state.field(suggestionListField, false)
  if (!list || list.at !== ctx.pos || !list.items.length) return null
  const items = list.items
  const from = Math.min(...items.map(s => s.replace?.from ?? ctx.pos))
  return {
    from,
    to: ctx.pos,
    filter: false,
    options: items.map((s, i) => {
      const start = s.replace?.from ?? ctx.pos
      const prefix = ctx.state.sliceDoc(from, start)
      return markAiCompletion({
        label: s.label || s.text.split("\n")[0],
        detail: s.kind ? `AI · ${s.kind}` : "AI",
        apply: prefix + s.text,
        boost: 99 - i,
        type: "text",
      })
    }),
  }
}

function isLocalTyping(tr: Transaction): boolean {
  return tr.docChanged && !isReconcileTx(tr)
}

/**
 * Wires a SuggestionController to an editor: local typing (not remote edits) restarts
 * the pause timer; caret moves and blur cancel; answers become ghost text.
 */
export function suggestionsExtension(make: (view: EditorView) => SuggestionController): Extension {
  const plugin = ViewPlugin.fromClass(
    class {
      readonly controller: SuggestionController
      constructor(view: EditorView) {
        this.controller = make(view)
      }
      update(u: ViewUpdate) {
        const local = u.transactions.filter(isLocalTyping)
        const accepted = u.transactions.some(tr => tr.effects.some(e => e.is(ghostAccepted)))
        if (accepted) {
          this.controller.interrupted()
          return
        }
        if (local.length) {
          // Only typing asks for suggestions; undo, cut, delete etc. just cancel.
          const typing = local.every(tr => tr.isUserEvent("input") && !tr.isUserEvent("input.paste") && !tr.isUserEvent("input.drop"))
          const survived = u.startState.field(ghostField) !== null && u.state.field(ghostField) !== null
          if (typing) this.controller.typed(survived)
          else this.controller.interrupted()
          return
        }
        const moved = u.transactions.some(tr => tr.selection && !isReconcileTx(tr) && !tr.effects.some(e => e.is(setGhost)))
        if (moved || (u.focusChanged && !u.view.hasFocus)) {
          if (u.state.field(ghostField) !== null || u.startState.field(ghostField) !== null || moved) this.controller.interrupted()
        }
      }
      destroy() {
        this.controller.dispose()
      }
    },
  )
  return [suggestionListField, plugin]
}
