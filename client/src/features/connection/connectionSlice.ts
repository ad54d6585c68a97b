import { createSlice, type PayloadAction } from "@reduxjs/toolkit"

/** The room socket's state as the UI shows it ("idle" before a room is opened). */
export type ConnectionStatus = "idle" | "connecting" | "connected" | "reconnecting" | "offline" | "failed"

export interface ConnectionState {
  status: ConnectionStatus
  attempt: number
  nextRetryAt: number | null
  lastCloseCode: number | null
  /** ms since epoch of the last time the socket reached "connected" */
  lastConnectedAt: number | null
}

export const initialConnectionState: ConnectionState = {
  status: "idle",
  attempt: 0,
  nextRetryAt: null,
  lastCloseCode: null,
  lastConnectedAt: null,
}

const connectionSlice = createSlice({
  name: "connection",
  initialState: initialConnectionState,
  reducers: {
    /** A status report from the room socket (sync/socketAdapter's StatusReport) at time `at`. */
    socketStatusChanged(
      state,
      action: PayloadAction<{ status: Exclude<ConnectionStatus, "idle">; attempt: number; nextRetryAt: number | null; lastCloseCode: number | null; at: number }>,
    ) {
      const { status, attempt, nextRetryAt, lastCloseCode, at } = action.payload
      state.status = status
      state.attempt = attempt
      state.nextRetryAt = nextRetryAt
      state.lastCloseCode = lastCloseCode
      if (status === "connected") state.lastConnectedAt = at
    },
    connectionReset() {
      return initialConnectionState
    },
  },
})

export const { socketStatusChanged, connectionReset } = connectionSlice.actions
export const connectionReducer = connectionSlice.reducer
