import { useEffect, useState } from "react"

const query = "(prefers-color-scheme: dark)"

/** Follows the system light/dark setting live. */
export function usePrefersDark(): boolean {
  const [dark, setDark] = useState(() => typeof matchMedia === "function" && matchMedia(query).matches)
  useEffect(() => {
    if (typeof matchMedia !== "function") return
    const mq = matchMedia(query)
    const onChange = () => setDark(mq.matches)
    mq.addEventListener("change", onChange)
    return () => mq.removeEventListener("change", onChange)
  }, [])
  return dark
}
