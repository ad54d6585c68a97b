import { useEffect, useState } from "react"
import { roomLink } from "../lib/roomId"

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

/** Copies the room link; shows the link itself if copying isn't allowed. */
export function ShareButton({ roomId, onCopied }: { roomId: string; onCopied?: () => void }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle")
  const link = roomLink(roomId, location.origin)
  useEffect(() => {
    if (state === "idle") return
    const t = setTimeout(() => setState("idle"), state === "copied" ? 2000 : 8000)
    return () => clearTimeout(t)
  }, [state])
  return (
    <div className="share">
      <button
        type="button"
        className="button primary"
        data-testid="share-button"
        onClick={async () => {
          const ok = await copyText(link)
          setState(ok ? "copied" : "failed")
          if (ok) onCopied?.()
        }}
      >
        {state === "copied" ? "Link copied ✓" : "Share"}
      </button>
      {state === "failed" && (
        <div className="share-fallback" role="dialog" aria-label="Room link">
          Copy this link: <input readOnly value={link} onFocus={e => e.currentTarget.select()} autoFocus />
        </div>
      )}
    </div>
  )
}
