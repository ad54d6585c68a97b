import type { Extension } from "@codemirror/state"
import { python } from "@codemirror/lang-python"
import { javascript } from "@codemirror/lang-javascript"
import { go } from "@codemirror/lang-go"
import { rust } from "@codemirror/lang-rust"
import { java } from "@codemirror/lang-java"
import { cpp } from "@codemirror/lang-cpp"
import type { LanguageId } from "../lib/languages"

/** CodeMirror language support (parser, highlighting, indentation rules) for a language id. */
export function languageExtension(id: LanguageId): Extension {
  switch (id) {
    case "python":
      return python()
    case "javascript":
      return javascript({ jsx: true })
    case "typescript":
      return javascript({ typescript: true, jsx: true })
    case "go":
      return go()
    case "rust":
      return rust()
    case "java":
      return java()
    case "c":
    case "cpp":
      // lang-cpp's Lezer grammar covers C as a subset well enough for highlighting and indentation.
      return cpp()
    case "plaintext":
      return []
  }
}

/** Indent unit that fits each language's convention. */
export function indentUnitFor(id: LanguageId): string {
  switch (id) {
    case "go":
      return "\t"
    case "javascript":
    case "typescript":
      return "  "
    default:
      return "    "
  }
}
