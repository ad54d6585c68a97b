import { createSlice, type PayloadAction } from "@reduxjs/toolkit"
import { normalizeLanguage, type LanguageId } from "../../lib/languages"
import type { Role, RoomInfo } from "../../lib/api"
import type { Range } from "../../lib/sinceLeft"

/**
 * The room being shown. The document itself lives in automerge-repo; this slice only
 * mirrors what the UI needs to render around the editor (id, load phase, language).
 */
export type RoomPhase = "idle" | "loading" | "ready" | "not-found" | "error" | "unauthorized"

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
  /** our role in the room (from GET /rooms/:id, then live notices); null until known */
  role: Role | null
  /** our link's id, when we hold a link token */
  linkId: string | null
  /** a message for the person about their last edit (e.g. refused as too large) */
  notice: string | null
  /** text inserted while this browser was away (lib/sinceLeft.ts), until dismissed */
  sinceLeft: Range[] | null
}

export const initialRoomState: RoomState = {
  id: null,
  phase: "idle",
  language: "plaintext",
  error: null,
  info: null,
  length: 0,
  role: null,
  linkId: null,
  notice: null,
  sinceLeft: null,
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
      // Servers before access control send no role: everyone edits there.
      state.role = action.payload.role ?? "editor"
      state.linkId = action.payload.link_id ?? null
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
    /** The token is missing, invalid, expired or revoked (401/403, or close 4401). */
    roomUnauthorized(state, action: PayloadAction<string>) {
      if (action.payload !== state.id) return
      state.phase = "unauthorized"
    },
    /** The server told us our role changed (the owner promoted or demoted our link). */
    roleChanged(state, action: PayloadAction<Role>) {
      state.role = action.payload
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
    sinceLeftFound(state, action: PayloadAction<Range[]>) {
      state.sinceLeft = action.payload.length ? action.payload : null
    },
    sinceLeftDismissed(state) {
      state.sinceLeft = null
    },
  },
})

export const {
  roomOpened,
  roomInfoReceived,
  roomReady,
  roomNotFound,
  roomFailed,
  roomUnauthorized,
  roleChanged,
  languageChanged,
  contentLengthChanged,
  noticeShown,
  noticeCleared,
  sinceLeftFound,
  sinceLeftDismissed,
} = roomSlice.actions
export const roomReducer = roomSlice.reducer
