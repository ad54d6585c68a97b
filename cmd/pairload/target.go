package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	stdsync "sync"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// server is how the tool reaches one kind of server.
type server struct {
	kind string
	base *url.URL // http://host:port
	// obs, when set (-observer-url), is where observers connect: another
	// instance of a scale-out cluster (REDIS_URL), so every keystroke
	// crosses Redis.
	obs *url.URL
	v2  bool // writers advertise sync v2
	v2j bool // fresh peers in the join scenario advertise sync v2
	// tokens: room id -> owner token from POST /rooms (ACCESS=links), sent
	// as ?token= on every socket of that room.
	tokens stdsync.Map
}

func newServer(cfg *Config) (*server, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	}
	u.Path, u.RawQuery = "", ""
	s := &server{kind: cfg.Target, base: u}
	if cfg.ObserverURL != "" {
		o, err := url.Parse(cfg.ObserverURL)
		if err != nil {
			return nil, err
		}
		o.Scheme = strings.Replace(strings.Replace(o.Scheme, "wss", "https", 1), "ws", "http", 1)
		o.Path, o.RawQuery = "", ""
		s.obs = o
	}
	s.v2, s.v2j = cfg.advertiseV2()
	return s, nil
}

// wsURL is where a peer of docID connects. Pairpad scopes a socket to its
// room (/ws/{id}); the reference serves every document on one endpoint.
func (s *server) wsURL(docID string) string { return s.wsURLAt(s.base, docID) }

func (s *server) wsURLAt(base *url.URL, docID string) string {
	ws := *base
	ws.Scheme = strings.Replace(ws.Scheme, "http", "ws", 1)
	if s.kind == TargetPairpad {
		ws.Path = "/ws/" + docID
		if tok, ok := s.tokens.Load(docID); ok {
			ws.RawQuery = url.Values{"token": {tok.(string)}}.Encode()
		}
	} else {
		ws.Path = "/"
	}
	return ws.String()
}

func (s *server) metricsURL() string { return s.base.String() + "/metrics" }

// openRoom creates a room and returns its id and its first peer, connected,
// holding the document, with the server holding it too.
//
// Pairpad: POST /rooms creates the document in the server; the peer then
// requests it. The reference has no such endpoint: as an automerge-repo peer
// that creates a document does, the peer makes it (crdt.New) under a fresh
// id and announces it with a sync message; Dial returns when the server
// reports our heads back (the reference stores documents peers announce).
func (s *server) openRoom(ctx context.Context, lang string, opts wireclient.ClientOptions) (string, *wireclient.Client, error) {
	opts.AdvertiseV2 = s.v2
	if s.kind == TargetPairpad {
		id, err := s.createRoom(ctx, lang)
		if err != nil {
			return "", nil, err
		}
		c, err := wireclient.Dial(ctx, s.wsURL(id), id, opts)
		if err != nil {
			return "", nil, err
		}
		if c.Unavailable() {
			c.Close()
			return "", nil, fmt.Errorf("room %s: server says doc-unavailable right after creating it", id)
		}
		return id, c, nil
	}
	doc, err := crdt.New(lang)
	if err != nil {
		return "", nil, err
	}
	id := crdt.NewDocumentID()
	opts.Doc = doc
	c, err := wireclient.Dial(ctx, s.wsURL(id), id, opts)
	if err != nil {
		return "", nil, err
	}
	return id, c, nil
}

// join connects one more peer to an existing room; it returns once the
// peer holds the document. fresh: a peer of the join scenario.
func (s *server) join(ctx context.Context, id string, fresh bool, opts wireclient.ClientOptions) (*wireclient.Client, error) {
	opts.AdvertiseV2 = s.v2
	if fresh {
		opts.AdvertiseV2 = s.v2j
	}
	c, err := wireclient.Dial(ctx, s.wsURL(id), id, opts)
	if err != nil {
		return nil, err
	}
	if c.Unavailable() {
		c.Close()
		return nil, fmt.Errorf("room %s: doc-unavailable", id)
	}
	return c, nil
}

// observe connects an observer: at the observer URL when one is set.
func (s *server) observe(ctx context.Context, id string, opts wireclient.ClientOptions) (*wireclient.Client, error) {
	if s.obs == nil {
		return s.join(ctx, id, false, opts)
	}
	opts.AdvertiseV2 = s.v2
	c, err := wireclient.Dial(ctx, s.wsURLAt(s.obs, id), id, opts)
	if err != nil {
		return nil, err
	}
	if c.Unavailable() {
		c.Close()
		return nil, fmt.Errorf("room %s: doc-unavailable at the observer URL", id)
	}
	return c, nil
}

func (s *server) createRoom(ctx context.Context, lang string) (string, error) {
	body, _ := json.Marshal(map[string]string{"language": lang})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base.String()+"/rooms", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("POST /rooms: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("POST /rooms: %s", resp.Status)
	}
	var out struct {
		RoomID     string `json:"room_id"`
		OwnerToken string `json:"owner_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", fmt.Errorf("POST /rooms: %w", err)
	}
	if out.RoomID == "" {
		return "", fmt.Errorf("POST /rooms: no room_id")
	}
	if out.OwnerToken != "" {
		s.tokens.Store(out.RoomID, out.OwnerToken)
	}
	return out.RoomID, nil
}
