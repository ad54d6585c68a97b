import { useRef, useState, type FormEvent, type KeyboardEvent } from "react"
import { useFocusTrap } from "./focusTrap"
import { PEER_COLORS, textOn } from "../features/presence/colors"
import { MAX_NAME_LENGTH, cleanName } from "../features/preferences/preferencesSlice"

/** Asks for a display name (once; later opened from the people list to edit) and a colour. */
export function NameDialog({
  initialName,
  initialColor,
  onSave,
  onCancel,
}: {
  initialName: string
  initialColor: string
  onSave: (name: string, color: string) => void
  onCancel?: () => void
}) {
  const [name, setName] = useState(initialName)
  const [color, setColor] = useState(initialColor)
  const form = useRef<HTMLFormElement>(null)
  useFocusTrap(form)
  const valid = cleanName(name).length > 0
  // As with native radio buttons: Space picks a colour, Enter submits.
  const onSwatchKey = (e: KeyboardEvent) => {
    if (e.key !== "Enter") return
    e.preventDefault()
    form.current?.requestSubmit()
  }
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (valid) onSave(cleanName(name), color)
  }
  return (
    <div className="modal-backdrop" onKeyDown={e => e.key === "Escape" && onCancel?.()}>
      <form className="modal" ref={form} onSubmit={submit} role="dialog" aria-modal="true" aria-labelledby="name-title" data-testid="name-dialog">
        <h2 id="name-title">What should others call you?</h2>
        <p className="muted">Shown next to your cursor and in the list of people in the room.</p>
        <input
          autoFocus
          className="text-input"
          value={name}
          maxLength={MAX_NAME_LENGTH}
          placeholder="Your name"
          aria-label="Your name"
          data-testid="name-input"
          onChange={e => setName(e.target.value)}
        />
        <div className="swatches" role="radiogroup" aria-label="Your colour">
          {PEER_COLORS.map(c => (
            <button
              key={c}
              type="button"
              role="radio"
              aria-checked={c === color}
              aria-label={c}
              className={`swatch${c === color ? " selected" : ""}`}
              style={{ backgroundColor: c, color: textOn(c) }}
              onClick={() => setColor(c)}
              onKeyDown={onSwatchKey}
            >
              {c === color ? "✓" : ""}
            </button>
          ))}
        </div>
        <div className="modal-actions">
          {onCancel && (
            <button type="button" className="button" onClick={onCancel}>
              Cancel
            </button>
          )}
          <button type="submit" className="button primary" disabled={!valid} data-testid="name-save">
            Start pairing
          </button>
        </div>
      </form>
    </div>
  )
}
