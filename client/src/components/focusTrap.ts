import { useEffect, type RefObject } from "react"

const FOCUSABLE = 'input:not([disabled]), button:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])'

/**
 * Keeps the keyboard inside `ref` while it is mounted: Tab and Shift-Tab cycle through
 * its controls, and focus that goes anywhere else (a click behind it, an element that
 * focuses itself when it appears, like the editor when the room finishes loading)
 * is brought back.
 */
export function useFocusTrap(ref: RefObject<HTMLElement | null>) {
  useEffect(() => {
    const box = ref.current
    if (!box) return
    const controls = () => Array.from(box.querySelectorAll<HTMLElement>(FOCUSABLE))
    const onFocusIn = (e: FocusEvent) => {
      if (e.target instanceof Node && !box.contains(e.target)) (controls()[0] ?? box).focus()
    }
    const onKeyDown = (e: KeyboardEvent) => {
      if (e.key !== "Tab") return
      const list = controls()
      if (list.length === 0) return
      const i = list.indexOf(document.activeElement as HTMLElement)
      const next = e.shiftKey ? (i <= 0 ? list.length - 1 : i - 1) : i === -1 || i === list.length - 1 ? 0 : i + 1
      e.preventDefault()
      list[next].focus()
    }
    if (!box.contains(document.activeElement)) (controls()[0] ?? box).focus()
    document.addEventListener("focusin", onFocusIn)
    document.addEventListener("keydown", onKeyDown, true)
    return () => {
      document.removeEventListener("focusin", onFocusIn)
      document.removeEventListener("keydown", onKeyDown, true)
    }
  }, [ref])
}
