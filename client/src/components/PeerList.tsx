import { useState } from "react"
import { useAppDispatch, useAppSelector } from "../app/hooks"
import { followStarted, followStopped } from "../features/follow/followSlice"
import { selectPeerList, selectRoom, selectSelf } from "../app/selectors"
import { api, ApiError } from "../lib/api"
import { RoleSelect } from "./ShareDialog"
import { textOn } from "../features/presence/colors"
import { useServerPeople } from "./useServerPeople"

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean)
  const first = (w: string) => [...w][0] ?? ""
  const s = parts.length >= 2 ? first(parts[0]) + first(parts[1]) : first(parts[0] ?? "?")
  return s.toUpperCase() || "?"
}

function Avatar({ name, color, title }: { name: string; color: string; title: string }) {
  return (
    <span className="avatar" style={{ backgroundColor: color, color: textOn(color) }} title={title}>
      {initials(name)}
    </span>
  )
}

/**
 * Who's here: you first (click to rename), then the others in order of arrival, each
 * with their role. The owner can change a person's role or revoke their link here: the
 * link and role come from the server (useServerPeople), not from the person's presence.
 */
export function PeerList({ onEditSelf, token }: { onEditSelf: () => void; token?: string | null }) {
  const self = useAppSelector(selectSelf)
  const peers = useAppSelector(selectPeerList)
  const room = useAppSelector(selectRoom)
  const following = useAppSelector(s => s.follow.target)
  const dispatch = useAppDispatch()
  const toggleFollow = (peerId: string, present?: number) =>
    dispatch(following === peerId ? followStopped(present != null ? { present } : undefined) : followStarted({ peerId }))
  const [error, setError] = useState<string | null>(null)
  const owner = room.role === "owner" && !!token && !!room.id
  const granted = useServerPeople(room.id, token, owner, peers.map(p => `${p.peerId}:${p.role ?? ""}`))
  const act = (f: () => Promise<unknown>) =>
    f()
      .then(
        () => setError(null),
        e => setError(e instanceof ApiError ? e.message : "That did not work."),
      )
      .finally(granted.refresh)
  return (
    <div className="peers" data-testid="peer-list" aria-label={`${peers.length + 1} people in this room`}>
      <button type="button" className="peer peer-self" onClick={onEditSelf} title="Change your name or colour">
        <Avatar name={self.name} color={self.color} title={self.named ? `${self.name} (you)` : "You"} />
        <span className="peer-name" data-testid="self-name" data-color={self.color}>
          {self.named ? `${self.name} (you)` : "You"}
        </span>
        {room.role && <span className="role-tag" data-testid="self-role">{room.role}</span>}
      </button>
      {peers.map(p => {
        const g = granted.people[p.peerId]
        const linkId = g?.link_id
        return (
          <span className="peer" key={p.peerId} data-peer-id={p.peerId} data-role={g?.role ?? p.role ?? ""}>
            <button
              type="button"
              className={`peer-follow${following === p.peerId ? " following" : ""}`}
              data-testid="peer-follow"
              data-color={p.color}
              aria-pressed={following === p.peerId}
              title={following === p.peerId ? `Stop following ${p.name}` : `Follow ${p.name}'s cursor and scroll`}
              onClick={() => toggleFollow(p.peerId, p.present)}
            >
              <Avatar name={p.name} color={p.color} title={p.name} />
              <span className="peer-name">{p.name}</span>
            </button>
            {owner && g && linkId && linkId !== room.linkId ? (
              <>
                <RoleSelect
                  value={g.role}
                  testId="peer-role"
                  onChange={r => act(() => api.setLinkRole(room.id!, token!, linkId, r))}
                />
                <button type="button" className="link-button" data-testid="peer-revoke" title="Revoke this person's link" onClick={() => act(() => api.revokeLink(room.id!, token!, linkId))}>
                  ✕
                </button>
              </>
            ) : (
              (g?.role ?? p.role) && <span className="role-tag">{g?.role ?? p.role}</span>
            )}
          </span>
        )
      })}
      {error && (
        <span className="error-text" role="alert">
          {error}
        </span>
      )}
    </div>
  )
}
