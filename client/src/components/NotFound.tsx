import { onLinkClick } from "./router"

export function NotFound({ what, detail, testId = "not-found" }: { what: string; detail?: string; testId?: string }) {
  return (
    <div className="center-page" data-testid={testId}>
      <div className="card narrow">
        <h1>{what}</h1>
        <p className="muted">{detail ?? "The link may be mistyped, or the room was never created on this server."}</p>
        <a className="button primary" href="/" onClick={onLinkClick}>
          Go to the home page
        </a>
      </div>
    </div>
  )
}
