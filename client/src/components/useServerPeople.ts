import { useCallback, useEffect, useState } from "react"
import { api, type ServerPerson } from "../lib/api"

/**
 * For the owner: the link and role the server granted each connected peer, by peer id
 * (GET /rooms/{id}/people). Owner actions use these, never the link a peer claims in its
 * presence, which any peer could set to someone else's. Refetched when `peerKeys` (one
 * string per peer: its id and claimed role, so a peer told of a new role triggers it)
 * change and after each owner action (`refresh`). Empty for everyone else.
 */
export function useServerPeople(roomId: string | null, token: string | null | undefined, owner: boolean, peerKeys: string[]) {
  const [people, setPeople] = useState<Record<string, ServerPerson>>({})
  const [generation, setGeneration] = useState(0)
  const key = [...peerKeys].sort().join(",")
  useEffect(() => {
    if (!owner || !roomId || !token || !key) {
      setPeople({})
      return
    }
    const ctrl = new AbortController()
    api.people(roomId, token, ctrl.signal).then(
      ({ people }) => setPeople(Object.fromEntries(people.map(p => [p.peer_id, p]))),
      () => {
        if (!ctrl.signal.aborted) setPeople({}) // no owner actions rather than actions on a guess
      },
    )
    return () => ctrl.abort()
  }, [roomId, token, owner, key, generation])
  const refresh = useCallback(() => setGeneration(g => g + 1), [])
  return { people, refresh }
}
