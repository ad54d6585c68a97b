package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/pairpad/pairpad/auth"
	"github.com/pairpad/pairpad/crdt"
	pairsync "github.com/pairpad/pairpad/sync"
)

// Private notes (issue 14): each room has a second Automerge document, its
// notes, that only the room's owners and the holders of links the owner
// granted notes to can open. It is served as a room of its own (its id is
// crdt.NotesDocumentID of the room's), through GET /rooms/{id}/notes and
// GET /ws/{id}/notes only: every other route refuses a notes id with 404,
// so a person who may open the room but not its notes never receives a
// byte of them. The notes document is created on first use.

// NotesInfo is the body of GET /rooms/{id}/notes.
type NotesInfo struct {
	RoomID     string `json:"room_id"`
	DocumentID string `json:"document_id"`
	// WSURL is the WebSocket path that serves the notes document
	// (automerge-repo protocol, token as for /ws/{id}).
	WSURL string `json:"ws_url"`
	Text  string `json:"text"`
	// Role is what the caller may do in the notes (a viewer link with
	// notes reads them).
	Role auth.Role `json:"role"`
}

// notesLanguage is the notes document's language field.
const notesLanguage = "plaintext"

func (s *Server) notesRoutes(r *gin.Engine) {
	r.GET("/rooms/:id/notes", s.require(auth.RoleViewer, false), s.notesAccess, s.getNotes)
	r.GET("/ws/:id/notes", s.checkWSOrigin, s.require(auth.RoleViewer, true), s.notesAccess, s.serveNotesWS)
}

// notesAccess refuses, with 403, a caller who may open the room but not its
// notes.
func (s *Server) notesAccess(c *gin.Context) {
	if !identity(c).MayReadNotes() {
		writeError(c, http.StatusForbidden, "notes_forbidden",
			"the room's private notes open only with an owner link or a link the owner granted notes to")
		return
	}
	c.Next()
}

// ensureNotes returns the id of room's notes document, creating it on first
// use (room must exist).
func (s *Server) ensureNotes(c *gin.Context, room string) (string, bool) {
	ctx := c.Request.Context()
	id, err := crdt.NotesDocumentID(room)
	if err != nil {
		s.fail(c, err)
		return "", false
	}
	if s.hub.Status(id).Loaded {
		return id, true
	}
	_, err = s.store.Meta(ctx, id)
	if err == nil {
		return id, true
	}
	if !errors.Is(err, pairsync.ErrNotFound) {
		s.fail(c, pairsync.Unavailable(err))
		return "", false
	}
	if _, err := s.store.Meta(ctx, room); err != nil {
		s.fail(c, pairsync.Unavailable(err))
		return "", false
	}
	if err := s.hub.CreateRoomWithID(ctx, id, notesLanguage); err != nil && !errors.Is(err, pairsync.ErrExists) {
		s.fail(c, err)
		return "", false
	}
	return id, true
}

func (s *Server) getNotes(c *gin.Context) {
	room, ok := s.roomID(c)
	if !ok {
		return
	}
	id, ok := s.ensureNotes(c, room)
	if !ok {
		return
	}
	text, err := s.hub.Text(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, NotesInfo{RoomID: room, DocumentID: id, WSURL: "/ws/" + room + "/notes", Text: text, Role: identity(c).Role})
}

func (s *Server) serveNotesWS(c *gin.Context) {
	room, ok := s.roomID(c)
	if !ok {
		return
	}
	id, ok := s.ensureNotes(c, room)
	if !ok {
		return
	}
	who := identity(c)
	s.serveRoomWS(c, id, pairsync.Grant{Room: id, Role: pairsync.Role(who.Role), LinkID: who.LinkID, Name: who.Name, ExpiresAt: who.ExpiresAt})
}
