import { createSlice, type PayloadAction } from "@reduxjs/toolkit"
import { normalizeLanguage, type LanguageId } from "../../lib/languages"
import type { RoomInfo } from "../../lib/api"

/**
 * The room being shown. The document itself lives in automerge-repo; this slice only
 * mirrors what the UI needs to render around the editor (id, load phase, language).
 */
export type RoomPhase = "idle" | "loading" | "ready" | "not-found" | "error"

export interface RoomState {
  id: string | null
  phase: RoomPhase
  language: LanguageId
  /** message for phase "error" */
  error: string | null
  /** metadata from GET /rooms/:id when the server could be reached */
  info: RoomInfo | null
  /** characters in the doc, for the status bar */
  length: number
  /** a message for the person about their last edit (e.g. refused as too large) */
  notice: string | null
}

export const initialRoomState: RoomState = {
  id: null,
  phase: "idle",
  language: "plaintext",
  error: null,
  info: null,
  length: 0,
  notice: null,
}

const roomSlice = createSlice({
  name: "room",
  initialState: initialRoomState,
  reducers: {
    roomOpened(_state, action: PayloadAction<string>) {
      return { ...initialRoomState, id: action.payload, phase: "loading" }
    },
    roomInfoReceived(state, action: PayloadAction<RoomInfo>) {
      if (action.payload.room_id !== state.id) return
      state.info = action.payload
      if (state.phase === "loading") state.language = normalizeLanguage(action.payload.language)
    },
    roomReady(state, action: PayloadAction<{ id: string; language: unknown; length: number }>) {
      if (action.payload.id !== state.id) return
      state.phase = "ready"
      state.language = normalizeLanguage(action.payload.language)
      state.length = action.payload.length
      state.error = null
    },
    roomNotFound(state, action: PayloadAction<string>) {
      if (action.payload !== state.id) return
      state.phase = "not-found"
    },
    roomFailed(state, action: PayloadAction<{ id: string; message: string }>) {
      if (action.payload.id !== state.id) return
      state.phase = "error"
      state.error = action.payload.message
    },
    languageChanged(state, action: PayloadAction<unknown>) {
      state.language = normalizeLanguage(action.payload)
    },
    contentLengthChanged(state, action: PayloadAction<number>) {
      state.length = action.payload
    },
    noticeShown(state, action: PayloadAction<string>) {
      state.notice = action.payload
    },
    noticeCleared(state) {
      state.notice = null
    },
  },
})

export const {
  roomOpened,
  roomInfoReceived,
  roomReady,
  roomNotFound,
  roomFailed,
  languageChanged,
  contentLengthChanged,
  noticeShown,
  noticeCleared,
} = roomSlice.actions
export const roomReducer = roomSlice.reducer
