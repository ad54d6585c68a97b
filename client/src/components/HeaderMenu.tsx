import { useEffect, useRef, useState, type ReactNode } from "react"

/**
 * Secondary header controls. Wide screens show them in the header row; narrow ones
 * (phones) fold them behind a "⋯" button so the header stays one row (styles.css).
 */
export function HeaderMenu({ children }: { children: ReactNode }) {
  const [open, setOpen] = useState(false)
  const box = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (!open) return
    const close = (e: Event) => {
      if (e instanceof KeyboardEvent ? e.key === "Escape" : !box.current?.contains(e.target as Node)) setOpen(false)
    }
    document.addEventListener("mousedown", close)
    document.addEventListener("keydown", close)
    return () => {
      document.removeEventListener("mousedown", close)
      document.removeEventListener("keydown", close)
    }
  }, [open])
  return (
    <div className="header-menu" ref={box}>
      <button
        type="button"
        className="icon-button menu-button"
        aria-label="More"
        aria-expanded={open}
        data-testid="header-menu-button"
        onClick={() => setOpen(o => !o)}
      >
        ⋯
      </button>
      <div className={`topbar-extras${open ? " open" : ""}`} data-testid="header-extras">
        {children}
      </div>
    </div>
  )
}
