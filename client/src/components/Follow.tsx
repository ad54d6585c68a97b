import { useEffect } from "react"
import { useAppDispatch, useAppSelector } from "../app/hooks"
import { selectPeerList, selectRoom } from "../app/selectors"
import { followAction, followStarted, followStopped, presentingChanged } from "../features/follow/followSlice"
import type { RoomSession } from "../app/roomSession"
import type { RootState } from "../app/store"

const selectFollow = (s: RootState) => s.follow

/** Follows an owner who presents, and stops when the person followed leaves or stops presenting. */
export function useAutoFollow() {
  const dispatch = useAppDispatch()
  const follow = useAppSelector(selectFollow)
  const peers = useAppSelector(selectPeerList)
  useEffect(() => {
    const action = followAction(follow, peers)
    if (action?.type === "stop") dispatch(followStopped(undefined))
    else if (action?.type === "follow") dispatch(followStarted({ peerId: action.peerId, reason: "present" }))
  }, [follow, peers, dispatch])
}

/** "Following Bob" while follow mode is on, with a way out. */
export function FollowBar() {
  const dispatch = useAppDispatch()
  const follow = useAppSelector(selectFollow)
  const peers = useAppSelector(selectPeerList)
  const target = follow.target ? peers.find(p => p.peerId === follow.target) : undefined
  if (!target) return null
  return (
    <div className="follow-bar" role="status" data-testid="follow-indicator" data-peer-id={target.peerId} style={{ borderColor: target.color }}>
      <span className="follow-dot" style={{ backgroundColor: target.color }} aria-hidden="true" />
      <span>
        Following <strong>{target.name}</strong>
        {follow.reason === "present" ? " (presenting)" : ""} · type or scroll to stop
      </span>
      <button type="button" className="link-button" data-testid="follow-stop" onClick={() => dispatch(followStopped({ present: target.present }))}>
        Stop following
      </button>
    </div>
  )
}

/** For the owner: ask everyone in the room to follow them. */
export function PresentToggle({ session }: { session: RoomSession | null }) {
  const dispatch = useAppDispatch()
  const presenting = useAppSelector(selectFollow).presenting
  const role = useAppSelector(selectRoom).role
  if (role !== "owner") return null
  const toggle = () => {
    session?.setPresenting(!presenting)
    dispatch(presentingChanged(!presenting))
  }
  return (
    <button
      type="button"
      className={`toggle${presenting ? " on" : ""}`}
      aria-pressed={presenting}
      data-testid="present-toggle"
      title="Everyone in the room follows your cursor and scroll until they type or scroll"
      onClick={toggle}
    >
      {presenting ? "Stop presenting" : "Ask others to follow me"}
    </button>
  )
}
