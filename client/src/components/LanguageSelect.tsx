import { LANGUAGES, type LanguageId } from "../lib/languages"

export function LanguageSelect({
  value,
  onChange,
  id,
  label = "Language",
  disabled = false,
}: {
  value: LanguageId
  onChange: (id: LanguageId) => void
  id?: string
  label?: string
  disabled?: boolean
}) {
  return (
    <label className="language-select">
      <span className="visually-hidden">{label}</span>
      <select id={id} value={value} onChange={e => onChange(e.target.value as LanguageId)} data-testid="language-select" disabled={disabled}>
        {LANGUAGES.map(l => (
          <option key={l.id} value={l.id}>
            {l.label}
          </option>
        ))}
      </select>
    </label>
  )
}
