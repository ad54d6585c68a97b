import { createSlice, type PayloadAction } from "@reduxjs/toolkit"

/**
 * Follow mode: whose cursor and scroll our editor tracks. Started by clicking a person,
 * or by an owner presenting ("ask others to follow me"); any own keystroke or scroll
 * stops it. A presentation someone stopped following is not forced on them again.
 */
export interface FollowState {
  /** peer id we follow, or null */
  target: string | null
  /** why: a click, or the target presents */
  reason: "click" | "present" | null
  /** we ask the others to follow us (owners) */
  presenting: boolean
  /** per presenter: the presentation (its start stamp) we stopped following */
  dismissed: Record<string, number>
}

export const initialFollowState: FollowState = { target: null, reason: null, presenting: false, dismissed: {} }

/** What auto-following needs to know of a person. */
export interface FollowCandidate {
  peerId: string
  role?: string
  present?: number
}

const followSlice = createSlice({
  name: "follow",
  initialState: initialFollowState,
  reducers: {
    followStarted(state, action: PayloadAction<{ peerId: string; reason?: "click" | "present" }>) {
      state.target = action.payload.peerId
      state.reason = action.payload.reason ?? "click"
    },
    /** Stops following; `present` is the target's presentation, so it is not forced on us again. */
    followStopped(state, action: PayloadAction<{ present?: number } | undefined>) {
      const present = action.payload?.present
      if (state.target && present != null) state.dismissed[state.target] = present
      state.target = null
      state.reason = null
    },
    presentingChanged(state, action: PayloadAction<boolean>) {
      state.presenting = action.payload
      if (action.payload) {
        state.target = null
        state.reason = null
      }
    },
    followReset() {
      return initialFollowState
    },
  },
})

export const { followStarted, followStopped, presentingChanged, followReset } = followSlice.actions
export const followReducer = followSlice.reducer

/**
 * What follow mode should do now, given the people in the room: stop when the target
 * left or stopped presenting (when that is why we follow), start following an owner
 * who presents (unless we dismissed that presentation, or present ourselves).
 */
export function followAction(
  state: FollowState,
  peers: readonly FollowCandidate[],
): { type: "stop" } | { type: "follow"; peerId: string } | null {
  const target = state.target ? peers.find(p => p.peerId === state.target) : undefined
  if (state.target && !target) return { type: "stop" }
  if (target && state.reason === "present" && target.present == null) return { type: "stop" }
  if (state.presenting || state.target) return null
  const presenter = peers.find(p => p.role === "owner" && p.present != null && state.dismissed[p.peerId] !== p.present)
  return presenter ? { type: "follow", peerId: presenter.peerId } : null
}
