import { useLayoutEffect } from "react"
import { useAppDispatch, useAppSelector } from "../app/hooks"
import { selectPreferences } from "../app/selectors"
import { themeChanged } from "../features/preferences/preferencesSlice"
import { usePrefersDark } from "./usePrefersDark"

/** The theme in use: the person's choice (remembered in localStorage), else the OS setting. */
export function useDarkTheme(): boolean {
  const osDark = usePrefersDark()
  const choice = useAppSelector(selectPreferences).theme
  return choice === "system" ? osDark : choice === "dark"
}

/** Puts the theme on <html data-theme> so the CSS variables follow it (rendered once by App). */
export function ThemeSync() {
  const dark = useDarkTheme()
  // Before paint: a remembered dark choice never flashes light.
  useLayoutEffect(() => {
    document.documentElement.dataset.theme = dark ? "dark" : "light"
  }, [dark])
  return null
}

/** The in-app light/dark switch: flips the theme in use and remembers the choice. */
export function ThemeSwitch() {
  const dispatch = useAppDispatch()
  const dark = useDarkTheme()
  return (
    <button
      type="button"
      className="toggle theme-switch"
      data-testid="theme-switch"
      aria-pressed={dark}
      title={dark ? "Switch to the light theme" : "Switch to the dark theme"}
      onClick={() => dispatch(themeChanged(dark ? "light" : "dark"))}
    >
      {dark ? "☾ Dark" : "☀ Light"}
    </button>
  )
}
