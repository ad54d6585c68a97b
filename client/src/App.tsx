import { Home } from "./components/Home"
import { RoomPage } from "./components/RoomPage"
import { NotFound } from "./components/NotFound"
import { useRoute } from "./components/router"
import { ThemeSync } from "./components/useTheme"

export function App() {
  return (
    <>
      <ThemeSync />
      <Page />
    </>
  )
}

function Page() {
  const route = useRoute()
  switch (route.name) {
    case "home":
      return <Home />
    case "room":
      return <RoomPage roomId={route.id} />
    case "missing":
      return <NotFound what="Page not found" detail={`Nothing lives at ${route.path}.`} />
  }
}
