import type { RoomSession } from "../app/roomSession"
import { downloadName, saveTextFile } from "../lib/download"
import type { LanguageId } from "../lib/languages"

/** Saves the code as it is now, named with the room language's extension. */
export function DownloadButton({ session, roomId, language, disabled }: { session: RoomSession | null; roomId: string; language: LanguageId; disabled?: boolean }) {
  const save = () => {
    if (!session) return
    const text = session.text()
    saveTextFile(downloadName(language, roomId, text), text)
  }
  return (
    <button type="button" className="toggle" data-testid="download" disabled={disabled || !session} onClick={save} title="Save the code as a file">
      ⤓ Download
    </button>
  )
}
