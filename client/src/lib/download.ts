import type { LanguageId } from "./languages"

/** File extension for each language the editor knows. */
export const EXTENSIONS: Record<LanguageId, string> = {
  python: "py",
  javascript: "js",
  typescript: "ts",
  go: "go",
  rust: "rs",
  java: "java",
  c: "c",
  cpp: "cpp",
  plaintext: "txt",
}

/**
 * The name to save a room's code under: `pairpad-<first 8 of the room id>.<ext>`,
 * except Java, where a public class must live in `<Class>.java` to compile.
 */
export function downloadName(language: LanguageId, roomId: string, text: string): string {
  const ext = EXTENSIONS[language] ?? "txt"
  if (language === "java") {
    const m = /\bpublic\s+(?:(?:final|abstract)\s+)*(?:class|interface|enum|record)\s+([A-Za-z_$][\w$]*)/.exec(text)
    if (m) return `${m[1]}.java`
  }
  const id = roomId.replace(/[^A-Za-z0-9_-]/g, "").slice(0, 8) || "room"
  return `pairpad-${id}.${ext}`
}

/** Saves `text` as a file through the browser's download. */
export function saveTextFile(name: string, text: string, doc: Document = document): void {
  const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }))
  const a = doc.createElement("a")
  a.href = url
  a.download = name
  a.style.display = "none"
  doc.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
