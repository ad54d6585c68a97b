import { useCallback, useEffect, useState } from "react"
import { api, ApiError, type LinkInfo, type Role } from "../lib/api"
import { roomLink } from "../lib/roomId"
import { roomUrlWithToken } from "../lib/tokens"

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text)
    return true
  } catch {
    // Clipboard API needs a secure context or permission: fall back to a hidden textarea.
    const ta = document.createElement("textarea")
    ta.value = text
    ta.setAttribute("readonly", "")
    ta.style.position = "fixed"
    ta.style.opacity = "0"
    document.body.appendChild(ta)
    ta.select()
    let ok = false
    try {
      ok = document.execCommand("copy")
    } catch {
      ok = false
    }
    ta.remove()
    return ok
  }
}

function active(l: LinkInfo): boolean {
  return !l.revoked_at && !!l.token && (!l.expires_at || Date.parse(l.expires_at) > Date.now())
}

function CopyRow({ label, value, testId, onCopied }: { label: string; value: string; testId: string; onCopied?: () => void }) {
  const [copied, setCopied] = useState(false)
  useEffect(() => {
    if (!copied) return
    const t = setTimeout(() => setCopied(false), 2000)
    return () => clearTimeout(t)
  }, [copied])
  return (
    <div className="share-row">
      <span className="share-label">{label}</span>
      <input readOnly value={value} onFocus={e => e.currentTarget.select()} data-testid={`share-${testId}-link`} aria-label={label} />
      <button
        type="button"
        className="button"
        data-testid={`copy-${testId}-link`}
        onClick={async () => {
          if (await copyText(value)) {
            setCopied(true)
            onCopied?.()
          }
        }}
      >
        {copied ? "Copied ✓" : "Copy"}
      </button>
    </div>
  )
}

/**
 * The owner's links: an edit link and a view link to copy (made on first use), and
 * every active link with its role and a revoke button. The people list offers the
 * same role controls for each person who is in the room (their presence names
 * their link).
 */
function OwnerLinks({ roomId, token, ownLinkId, onCopied }: { roomId: string; token: string; ownLinkId: string | null; onCopied?: () => void }) {
  const [links, setLinks] = useState<LinkInfo[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const load = useCallback(async () => {
    try {
      let all = (await api.listLinks(roomId, token)).links
      for (const role of ["editor", "viewer"] as Role[]) {
        if (!all.some(l => l.role === role && active(l))) all = [...all, await api.createLink(roomId, token, { role })]
      }
      setLinks(all)
      setError(null)
    } catch (e) {
      setError(e instanceof ApiError ? e.message : "Could not load the room's links.")
    }
  }, [roomId, token])
  useEffect(() => {
    void load()
  }, [load])
  if (error) return <p className="error-text" role="alert">{error}</p>
  if (!links) return <p className="muted">Loading links…</p>
  const first = (role: Role) => links.find(l => l.role === role && active(l) && l.id !== ownLinkId)
  const edit = first("editor")
  const view = first("viewer")
  const url = (l: LinkInfo) => roomUrlWithToken(location.origin, roomId, l.token!)
  const act = async (f: () => Promise<unknown>) => {
    try {
      await f()
      await load()
    } catch (e) {
      setError(e instanceof ApiError ? e.message : "That did not work.")
    }
  }
  return (
    <>
      {edit && <CopyRow label="Edit link" value={url(edit)} testId="edit" onCopied={onCopied} />}
      {view && <CopyRow label="View link" value={url(view)} testId="view" onCopied={onCopied} />}
      <h3>Links</h3>
      <ul className="link-list" data-testid="link-list">
        {links.filter(active).map(l => (
          <li key={l.id} data-link-id={l.id} data-role={l.role}>
            <span className="link-label">{l.id === ownLinkId ? "Your link" : l.label || `${l.role} link`}</span>
            {l.id === ownLinkId ? (
              <span className="role-tag">{l.role}</span>
            ) : (
              <>
                <RoleSelect value={l.role} testId={`link-role-${l.id}`} onChange={r => act(() => api.setLinkRole(roomId, token, l.id, r))} />
                {l.role !== "owner" && (
                  <label className="link-notes" title="This link also opens your private notes">
                    <input
                      type="checkbox"
                      checked={!!l.notes}
                      data-testid={`link-notes-${l.id}`}
                      onChange={e => {
                        const on = e.currentTarget.checked
                        void act(() => api.setLinkNotes(roomId, token, l.id, on))
                      }}
                    />
                    notes
                  </label>
                )}
                <button type="button" className="link-button" data-testid={`link-revoke-${l.id}`} onClick={() => act(() => api.revokeLink(roomId, token, l.id))}>
                  Revoke
                </button>
              </>
            )}
          </li>
        ))}
      </ul>
    </>
  )
}

export function RoleSelect({ value, onChange, testId }: { value: Role; onChange: (r: Role) => void; testId?: string }) {
  return (
    <select className="role-select" value={value} data-testid={testId} aria-label="Role" onChange={e => onChange(e.target.value as Role)}>
      <option value="viewer">viewer</option>
      <option value="editor">editor</option>
      <option value="owner">owner</option>
    </select>
  )
}

/** "Share": owners get edit and view links and manage links; others copy their own link. */
export function ShareDialog({
  roomId,
  token,
  role,
  linkId,
  onCopied,
}: {
  roomId: string
  token: string | null
  role: Role | null
  linkId: string | null
  onCopied?: () => void
}) {
  const [open, setOpen] = useState(false)
  return (
    <div className="share">
      <button type="button" className="button primary" data-testid="share-button" aria-expanded={open} onClick={() => setOpen(o => !o)}>
        Share
      </button>
      {open && (
        <div className="share-dialog" role="dialog" aria-label="Share this room" data-testid="share-dialog">
          {role === "owner" && token ? (
            <OwnerLinks roomId={roomId} token={token} ownLinkId={linkId} onCopied={onCopied} />
          ) : (
            <>
              <CopyRow
                label={role === "viewer" ? "View link" : "Room link"}
                value={token ? roomUrlWithToken(location.origin, roomId, token) : roomLink(roomId, location.origin)}
                testId={role === "viewer" ? "view" : "edit"}
                onCopied={onCopied}
              />
              {token && <p className="muted small">This is your own link: whoever opens it gets your role. Only the room's owner can make other links.</p>}
            </>
          )}
          <button type="button" className="link-button" onClick={() => setOpen(false)}>
            Close
          </button>
        </div>
      )}
    </div>
  )
}
