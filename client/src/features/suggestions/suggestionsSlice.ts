import { createSlice, type PayloadAction } from "@reduxjs/toolkit"
import type { Suggestion } from "../../lib/api"

/**
 * Autocomplete state for the local user. Each request gets an increasing id; an answer
 * whose id isn't the latest is stale and dropped (the request was superseded by a keystroke).
 */
export type SuggestionStatus = "idle" | "loading" | "shown" | "empty" | "error"

export interface SuggestionsState {
  status: SuggestionStatus
  /** id of the latest request; 0 before the first */
  requestId: number
  /** cursor position (UTF-16 units) the latest request was made at */
  at: number | null
  items: Suggestion[]
  engine: string | null
  tookMs: number | null
  error: string | null
  /** how many suggestions were accepted this session (shown in the status bar tooltip) */
  accepted: number
}

export const initialSuggestionsState: SuggestionsState = {
  status: "idle",
  requestId: 0,
  at: null,
  items: [],
  engine: null,
  tookMs: null,
  error: null,
  accepted: 0,
}

const suggestionsSlice = createSlice({
  name: "suggestions",
  initialState: initialSuggestionsState,
  reducers: {
    suggestionRequested(state, action: PayloadAction<{ requestId: number; at: number }>) {
      if (action.payload.requestId <= state.requestId) return
      state.requestId = action.payload.requestId
      state.at = action.payload.at
      state.status = "loading"
      state.items = []
      state.error = null
    },
    suggestionReceived(
      state,
      action: PayloadAction<{ requestId: number; items: Suggestion[]; engine: string; tookMs: number }>,
    ) {
      if (action.payload.requestId !== state.requestId || state.status !== "loading") return // stale
      state.items = action.payload.items
      state.engine = action.payload.engine
      state.tookMs = action.payload.tookMs
      state.status = action.payload.items.length > 0 ? "shown" : "empty"
    },
    suggestionFailed(state, action: PayloadAction<{ requestId: number; message: string }>) {
      if (action.payload.requestId !== state.requestId) return
      state.status = "error"
      state.items = []
      state.error = action.payload.message
    },
    /** A keystroke, Esc, a click elsewhere: whatever was shown or pending is gone. */
    suggestionsCleared(state) {
      state.status = "idle"
      state.items = []
      state.at = null
      state.error = null
    },
    /** The user kept typing what the ghost text said: drop the typed prefix from the best item. */
    suggestionNarrowed(state, action: PayloadAction<{ typed: string; at: number }>) {
      const best = state.items[0]
      if (state.status !== "shown" || !best || !best.text.startsWith(action.payload.typed)) return
      const rest = best.text.slice(action.payload.typed.length)
      if (!rest) {
        state.status = "idle"
        state.items = []
        state.at = null
        return
      }
      state.items[0] = { ...best, text: rest }
      state.at = action.payload.at
    },
    suggestionAccepted(state) {
      state.accepted += 1
      state.status = "idle"
      state.items = []
      state.at = null
    },
  },
})

export const {
  suggestionRequested,
  suggestionReceived,
  suggestionFailed,
  suggestionsCleared,
  suggestionNarrowed,
  suggestionAccepted,
} = suggestionsSlice.actions
export const suggestionsReducer = suggestionsSlice.reducer
