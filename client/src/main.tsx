import "./lib/parseSlices" // first: before CodeMirror reads navigator.scheduling (see there)
import { StrictMode } from "react"
import { createRoot } from "react-dom/client"
import { Provider } from "react-redux"
import { makeStore } from "./app/store"
import { App } from "./App"
import "./styles.css"
import { registerOfflineShell } from "./lib/offlineShell"

const store = makeStore()

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <Provider store={store}>
      <App />
    </Provider>
  </StrictMode>,
)

registerOfflineShell()
