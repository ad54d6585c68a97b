import { useEffect, useState } from "react"
import { useAppSelector } from "../app/hooks"
import { selectConnection, selectConnectionLabel } from "../app/selectors"

/** Always-visible connection state; while reconnecting it counts down and offers "Retry now". */
export function ConnectionBadge({ onRetry }: { onRetry: () => void }) {
  const conn = useAppSelector(selectConnection)
  const label = useAppSelector(selectConnectionLabel)
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (!conn.nextRetryAt) return
    const t = setInterval(() => setNow(Date.now()), 500)
    return () => clearInterval(t)
  }, [conn.nextRetryAt])
  const secs = conn.nextRetryAt ? Math.max(0, Math.ceil((conn.nextRetryAt - now) / 1000)) : null
  const canRetry = conn.status === "reconnecting" || conn.status === "offline" || conn.status === "failed"
  return (
    <div className={`conn conn-${conn.status}`} data-testid="connection-status" data-status={conn.status} role="status" aria-live="polite">
      <span className="conn-dot" aria-hidden="true" />
      <span className="conn-label">
        {label}
        {conn.status === "reconnecting" && secs !== null && secs > 0 ? ` (in ${secs}s)` : ""}
      </span>
      {canRetry && (
        <button type="button" className="link-button" onClick={onRetry}>
          Retry now
        </button>
      )}
    </div>
  )
}
