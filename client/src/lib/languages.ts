/** Languages the editor knows. The id is what goes into the doc's `language` field and to the server. */
export const LANGUAGES = [
  { id: "python", label: "Python" },
  { id: "javascript", label: "JavaScript" },
  { id: "typescript", label: "TypeScript" },
  { id: "go", label: "Go" },
  { id: "rust", label: "Rust" },
  { id: "java", label: "Java" },
  { id: "c", label: "C" },
  { id: "cpp", label: "C++" },
  { id: "plaintext", label: "Plain text" },
] as const

export type LanguageId = (typeof LANGUAGES)[number]["id"]

export const DEFAULT_LANGUAGE: LanguageId = "python"

const ALIASES: Record<string, LanguageId> = {
  py: "python",
  js: "javascript",
  jsx: "javascript",
  ts: "typescript",
  tsx: "typescript",
  golang: "go",
  rs: "rust",
  "c++": "cpp",
  cc: "cpp",
  cxx: "cpp",
  text: "plaintext",
  txt: "plaintext",
  "": "plaintext",
}

/**
 * The doc's `language` as a plain string. The Go server writes it as an Automerge scalar
 * string, which Automerge JS 3 hands out as an `ImmutableString` object (`.val`);
 * a JS peer might have written a text object, which reads as a string.
 */
export function languageValue(value: unknown): string | null {
  if (typeof value === "string") return value
  if (typeof value === "object" && value !== null && typeof (value as { val?: unknown }).val === "string") {
    return (value as { val: string }).val
  }
  return null
}

/** Maps whatever a peer (or an old server) wrote into a known language id. */
export function normalizeLanguage(value: unknown): LanguageId {
  const raw = languageValue(value)
  if (raw === null) return "plaintext"
  const v = raw.trim().toLowerCase()
  const known = LANGUAGES.find(l => l.id === v)
  if (known) return known.id
  return ALIASES[v] ?? "plaintext"
}

export function languageLabel(id: LanguageId): string {
  return LANGUAGES.find(l => l.id === id)?.label ?? id
}
