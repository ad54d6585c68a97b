/**
 * Where a local edit came from, recorded as the Automerge change message (attribution
 * format, README "History"): an accepted AI suggestion is one change with message
 * "ai"; a paste of PASTE_MIN_CHARS characters or more, or any paste containing a
 * newline, is one change with message "paste"; ordinary typing has no message.
 */
import type { Transaction } from "@codemirror/state"
import { pickedCompletion, type Completion } from "@codemirror/autocomplete"
import { ghostAccepted } from "./ghostText"

export type ChangeOrigin = "ai" | "paste"

export const PASTE_MIN_CHARS = 64

/** Completion options offered from the server's AI suggestions (see suggestions.ts). */
const aiCompletions = new WeakSet<Completion>()

export function markAiCompletion<T extends Completion>(c: T): T {
  aiCompletions.add(c)
  return c
}

export function isAiCompletion(c: Completion | undefined): boolean {
  return !!c && aiCompletions.has(c)
}

/** True when a paste inserting `text` is marked as a paste. */
export function isLargePaste(text: string): boolean {
  return text.length >= PASTE_MIN_CHARS || text.includes("\n")
}

/** The origin of a local editor transaction, or null for ordinary typing. */
export function originOf(tr: Transaction): ChangeOrigin | null {
  if (tr.effects.some(e => e.is(ghostAccepted))) return "ai"
  if (isAiCompletion(tr.annotation(pickedCompletion))) return "ai"
  if (tr.isUserEvent("input.paste") || tr.isUserEvent("input.drop")) {
    let inserted = ""
    tr.changes.iterChanges((_fa, _ta, _fb, _tb, ins) => {
      inserted += ins.toString()
    })
    if (isLargePaste(inserted)) return "paste"
  }
  return null
}
