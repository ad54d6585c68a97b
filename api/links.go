package api

import (
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/pairpad/pairpad/auth"
	"github.com/pairpad/pairpad/crdt"
	pairsync "github.com/pairpad/pairpad/sync"
)

// LinkInfo is a share link in API answers. Token and URL are absent for a
// revoked link.
type LinkInfo struct {
	ID        string     `json:"id"`
	Role      auth.Role  `json:"role"`
	Label     string     `json:"label,omitempty"`
	Token     string     `json:"token,omitempty"`
	URL       string     `json:"url,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	// Notes: the link also opens the room's private notes (owner links
	// always do).
	Notes bool `json:"notes"`
}

// LinksResponse is the body of GET /rooms/{id}/links.
type LinksResponse struct {
	Links []LinkInfo `json:"links"`
}

// roomURL is the browser link that opens room with token. The token is in
// the fragment, which browsers never send to a server (so it stays out of
// access logs and Referer headers); the client reads it and sends it as a
// Bearer header and as ?token= on the WebSocket.
func roomURL(room, token string) string {
	if token == "" {
		return "/room/" + room
	}
	return "/room/" + room + "#token=" + url.QueryEscape(token)
}

func (s *Server) linkInfo(l auth.Link) (LinkInfo, error) {
	li := LinkInfo{ID: l.ID, Role: l.Role, Label: l.Label, CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt, RevokedAt: l.RevokedAt,
		Notes: l.Notes || l.Role == auth.RoleOwner}
	if l.RevokedAt == nil {
		tok, err := s.auth.Token(l)
		if err != nil {
			return LinkInfo{}, err
		}
		li.Token, li.URL = tok, roomURL(l.RoomID, tok)
	}
	return li, nil
}

// failLinks answers a link operation's error: verdicts of the auth
// service map as usual; anything else is the link store not answering,
// 503 database_unavailable rather than 500.
func (s *Server) failLinks(c *gin.Context, err error) {
	if !auth.IsTokenError(err) {
		err = pairsync.Unavailable(err)
	}
	s.fail(c, err)
}

// issueRoomLinks creates a new room's owner, editor and viewer links.
func (s *Server) issueRoomLinks(c *gin.Context, room string) (owner string, links []LinkInfo, ok bool) {
	ctx := c.Request.Context()
	_, owner, err := s.auth.CreateLink(ctx, room, auth.RoleOwner, "owner", 0)
	if err != nil {
		s.failLinks(c, err)
		return "", nil, false
	}
	for _, role := range []auth.Role{auth.RoleEditor, auth.RoleViewer} {
		l, tok, err := s.auth.CreateLink(ctx, room, role, "", 0)
		if err != nil {
			s.failLinks(c, err)
			return "", nil, false
		}
		links = append(links, LinkInfo{ID: l.ID, Role: l.Role, Token: tok, URL: roomURL(room, tok), CreatedAt: l.CreatedAt})
	}
	return owner, links, true
}

func (s *Server) listLinks(c *gin.Context) {
	room := c.Param("id")
	links, err := s.auth.Links(c.Request.Context(), room)
	if err != nil {
		s.failLinks(c, err)
		return
	}
	out := LinksResponse{Links: make([]LinkInfo, 0, len(links))}
	for _, l := range links {
		li, err := s.linkInfo(l)
		if err != nil {
			s.failLinks(c, err)
			return
		}
		out.Links = append(out.Links, li)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
}

// PeopleResponse is the body of GET /rooms/{id}/people.
type PeopleResponse struct {
	People []pairsync.Person `json:"people"`
}

// listPeople tells an owner which link and role each connected peer has,
// as the server granted them: the people list's owner actions use it
// instead of the link id a peer claims in its presence.
func (s *Server) listPeople(c *gin.Context) {
	people, err := s.hub.People(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, PeopleResponse{People: people})
}

type createLinkRequest struct {
	Role  string `json:"role"`
	Label string `json:"label"`
	// ExpiresIn is the link's lifetime in seconds; 0 or absent: no expiry.
	ExpiresIn int64 `json:"expires_in"`
	// Notes: the link also opens the room's private notes.
	Notes bool `json:"notes"`
}

// maxExpiresIn bounds expires_in (ten years) so the time cannot overflow.
const maxExpiresIn = 10 * 365 * 24 * 3600

func (s *Server) createLink(c *gin.Context) {
	var req createLinkRequest
	if err := decodeStrict(c, 4<<10, &req); err != nil {
		return
	}
	role, err := auth.ParseRole(req.Role)
	if err != nil {
		s.failLinks(c, err)
		return
	}
	if req.ExpiresIn < 0 || req.ExpiresIn > maxExpiresIn {
		writeError(c, http.StatusBadRequest, "invalid_field", "expires_in: seconds from 1 to 315360000, or 0 for no expiry")
		return
	}
	l, _, err := s.auth.CreateLink(c.Request.Context(), c.Param("id"), role, req.Label, time.Duration(req.ExpiresIn)*time.Second)
	if err != nil {
		s.failLinks(c, err)
		return
	}
	if req.Notes {
		if l, err = s.auth.SetNotes(c.Request.Context(), c.Param("id"), l.ID, true); err != nil {
			s.failLinks(c, err)
			return
		}
	}
	li, err := s.linkInfo(l)
	if err != nil {
		s.failLinks(c, err)
		return
	}
	c.JSON(http.StatusCreated, li)
}

type patchLinkRequest struct {
	Role string `json:"role"`
	// Notes grants (true) or withdraws (false) the link's access to the
	// room's private notes; absent: unchanged.
	Notes *bool `json:"notes"`
}

// notOwnLink refuses to change or revoke the link the request itself
// uses: an owner would lock themselves out. It answers 409 itself.
func notOwnLink(c *gin.Context) bool {
	if id := identity(c); id.LinkID != "" && id.LinkID == c.Param("link_id") {
		writeError(c, http.StatusConflict, "own_link", "this is the link you are using: make another owner link first, open it, then change this one")
		return false
	}
	return true
}

func (s *Server) patchLink(c *gin.Context) {
	if !notOwnLink(c) {
		return
	}
	var req patchLinkRequest
	if err := decodeStrict(c, 4<<10, &req); err != nil {
		return
	}
	if req.Role == "" && req.Notes == nil {
		writeError(c, http.StatusBadRequest, "invalid_field", "give role (viewer, editor or owner), notes (true or false), or both")
		return
	}
	var l auth.Link
	if req.Role != "" {
		role, err := auth.ParseRole(req.Role)
		if err != nil {
			s.failLinks(c, err)
			return
		}
		if l, err = s.auth.SetRole(c.Request.Context(), c.Param("id"), c.Param("link_id"), role); err != nil {
			s.failLinks(c, err)
			return
		}
		if l.RevokedAt == nil {
			s.live().SetLinkRole(l.ID, l.Role)
		}
		s.log.Info("link role changed", zap.String("room", l.RoomID), zap.String("link", l.ID), zap.String("role", string(l.Role)))
	}
	if req.Notes != nil {
		var err error
		if l, err = s.auth.SetNotes(c.Request.Context(), c.Param("id"), c.Param("link_id"), *req.Notes); err != nil {
			s.failLinks(c, err)
			return
		}
		if notes, err := crdt.NotesDocumentID(l.RoomID); err == nil {
			if *req.Notes {
				s.live().GrantLinkIn(notes, l.ID)
			} else {
				s.live().RevokeLinkIn(notes, l.ID) // its peers in the notes are closed (4401)
			}
		}
		s.log.Info("link notes access changed", zap.String("room", l.RoomID), zap.String("link", l.ID), zap.Bool("notes", *req.Notes))
	}
	li, err := s.linkInfo(l)
	if err != nil {
		s.failLinks(c, err)
		return
	}
	c.JSON(http.StatusOK, li)
}

func (s *Server) deleteLink(c *gin.Context) {
	if !notOwnLink(c) {
		return
	}
	l, err := s.auth.Revoke(c.Request.Context(), c.Param("id"), c.Param("link_id"))
	if err != nil {
		s.failLinks(c, err)
		return
	}
	s.live().RevokeLink(l.ID)
	s.log.Info("link revoked", zap.String("room", l.RoomID), zap.String("link", l.ID))
	li, err := s.linkInfo(l)
	if err != nil {
		s.failLinks(c, err)
		return
	}
	c.JSON(http.StatusOK, li)
}

// LiveLinks applies link changes to connections already open. The sync
// hub implements it.
type LiveLinks interface {
	SetLinkRole(linkID string, role auth.Role)
	RevokeLink(linkID string)
	// RevokeLinkIn closes the link's connections to one room (its notes);
	// GrantLinkIn lets them join it again.
	RevokeLinkIn(room, linkID string)
	GrantLinkIn(room, linkID string)
}

type noLive struct{}

func (noLive) SetLinkRole(string, auth.Role) {}
func (noLive) RevokeLink(string)             {}
func (noLive) RevokeLinkIn(string, string)   {}
func (noLive) GrantLinkIn(string, string)    {}

func (s *Server) live() LiveLinks {
	if s.opts.Live != nil {
		return s.opts.Live
	}
	if s.hub != nil {
		return hubLive{s.hub}
	}
	return noLive{}
}

// hubLive applies link changes to this instance's sync hub.
type hubLive struct{ h *pairsync.Hub }

func (l hubLive) SetLinkRole(id string, r auth.Role) { l.h.SetLinkRole(id, pairsync.Role(r)) }
func (l hubLive) RevokeLink(id string)               { l.h.RevokeLink(id) }
func (l hubLive) RevokeLinkIn(room, id string)       { l.h.RevokeLinkIn(room, id) }
func (l hubLive) GrantLinkIn(room, id string)        { l.h.GrantLinkIn(room, id) }
