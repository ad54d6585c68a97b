import { createSlice, type PayloadAction } from "@reduxjs/toolkit"
import type { StatusReport, SocketStatus } from "../../sync/socketAdapter"

export type ConnectionStatus = "idle" | SocketStatus

export interface ConnectionState {
  status: ConnectionStatus
  attempt: number
  nextRetryAt: number | null
  lastCloseCode: number | null
  /** ms since epoch of the last time the socket reached "connected" */
  lastConnectedAt: number | null
  /** ms since epoch when we last received a sync message from the server */
  lastSyncAt: number | null
}

export const initialConnectionState: ConnectionState = {
  status: "idle",
  attempt: 0,
  nextRetryAt: null,
  lastCloseCode: null,
  lastConnectedAt: null,
  lastSyncAt: null,
}

const connectionSlice = createSlice({
  name: "connection",
  initialState: initialConnectionState,
  reducers: {
    socketStatusChanged(state, action: PayloadAction<StatusReport & { at: number }>) {
      const { status, attempt, nextRetryAt, lastCloseCode, at } = action.payload
      state.status = status
      state.attempt = attempt
      state.nextRetryAt = nextRetryAt
      state.lastCloseCode = lastCloseCode
      if (status === "connected") state.lastConnectedAt = at
    },
    syncReceived(state, action: PayloadAction<number>) {
      state.lastSyncAt = action.payload
    },
    connectionReset() {
      return initialConnectionState
    },
  },
})

export const { socketStatusChanged, syncReceived, connectionReset } = connectionSlice.actions
export const connectionReducer = connectionSlice.reducer
