import { useEffect, useState } from "react"

/** A tiny history-API router: the app has two real routes. */
export type Route = { name: "home" } | { name: "room"; id: string } | { name: "missing"; path: string }

export function matchRoute(pathname: string): Route {
  if (pathname === "/" || pathname === "" || pathname === "/index.html") return { name: "home" }
  const m = /^\/room\/([^/]+)\/?$/.exec(pathname)
  if (m) return { name: "room", id: decodeURIComponent(m[1]) }
  return { name: "missing", path: pathname }
}

const listeners = new Set<() => void>()

export function navigate(path: string, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", path)
  else history.pushState(null, "", path)
  listeners.forEach(l => l())
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => matchRoute(location.pathname))
  useEffect(() => {
    const update = () => setRoute(matchRoute(location.pathname))
    listeners.add(update)
    window.addEventListener("popstate", update)
    return () => {
      listeners.delete(update)
      window.removeEventListener("popstate", update)
    }
  }, [])
  return route
}

/** For <a href> links that should navigate without a page load. */
export function onLinkClick(e: React.MouseEvent<HTMLAnchorElement>) {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
  const href = e.currentTarget.getAttribute("href")
  if (!href || !href.startsWith("/")) return
  e.preventDefault()
  navigate(href)
}
