/**
 * Registers the service worker (production builds only) and hands it the list of assets
 * this page loaded, so that the next load works without the server. Sets
 * `window.__pairpadOfflineReady` once they're cached (the e2e tests wait for it).
 */
declare global {
  interface Window {
    __pairpadOfflineReady?: boolean
  }
}

export function registerOfflineShell(): void {
  if (!import.meta.env.PROD || !("serviceWorker" in navigator) || !window.isSecureContext) return
  const run = async () => {
    try {
      await navigator.serviceWorker.register("/sw.js")
      const reg = await navigator.serviceWorker.ready
      const urls = performance
        .getEntriesByType("resource")
        .map(e => e.name)
        .filter(u => new URL(u).origin === location.origin && new URL(u).pathname.startsWith("/assets/"))
      navigator.serviceWorker.addEventListener("message", e => {
        if (e.data?.type === "precached") window.__pairpadOfflineReady = true
      })
      reg.active?.postMessage({ type: "precache", urls })
    } catch (e) {
      console.warn("pairpad: offline support unavailable:", e)
    }
  }
  // The bundle awaits the wasm at top level, so `load` may already have fired.
  if (document.readyState === "complete") void run()
  else window.addEventListener("load", () => void run(), { once: true })
}
