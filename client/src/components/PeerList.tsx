import { useAppSelector } from "../app/hooks"
import { selectPeerList, selectSelf } from "../app/selectors"
import { textOn } from "../features/presence/colors"

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

/** Who's here: you first (click to rename), then the others in order of arrival. */
export function PeerList({ onEditSelf }: { onEditSelf: () => void }) {
  const self = useAppSelector(selectSelf)
  const peers = useAppSelector(selectPeerList)
  return (
    <div className="peers" data-testid="peer-list" aria-label={`${peers.length + 1} people in this room`}>
      <button type="button" className="peer peer-self" onClick={onEditSelf} title="Change your name or colour">
        <Avatar name={self.name} color={self.color} title={`${self.name} (you)`} />
        <span className="peer-name">{self.name} (you)</span>
      </button>
      {peers.map(p => (
        <span className="peer" key={p.peerId} data-peer-id={p.peerId}>
          <Avatar name={p.name} color={p.color} title={p.name} />
          <span className="peer-name">{p.name}</span>
        </span>
      ))}
    </div>
  )
}
