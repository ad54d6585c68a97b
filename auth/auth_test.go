package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pairpad/pairpad/auth"
)

var (
	linkSecret = []byte("link-secret-for-tests-0123456789abcdef")
	appSecret  = []byte("app-secret-for-tests-0123456789abcdefgh")
)

const room = "2Xc8VqQx5j9mM1Cq8Jd7yJ3wFzz"

func newService(t testing.TB) (*auth.Service, *auth.MemoryStore) {
	t.Helper()
	store := auth.NewMemoryStore()
	s, err := auth.NewService(auth.Config{LinkSecret: linkSecret, AppSecret: appSecret}, store)
	if err != nil {
		t.Fatal(err)
	}
	return s, store
}

func signed(t testing.TB, method jwt.SigningMethod, key any, c jwt.Claims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(method, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func appClaims(room string, role auth.Role, name string, exp time.Time) auth.Claims {
	return auth.Claims{Room: room, Role: role, Name: name, RegisteredClaims: jwt.RegisteredClaims{ExpiresAt: jwt.NewNumericDate(exp)}}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, store := newService(t)
	viewer, viewerTok, err := s.CreateLink(ctx, room, auth.RoleViewer, "class", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, expiringTok, err := s.CreateLink(ctx, room, auth.RoleEditor, "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	revoked, revokedTok, _ := s.CreateLink(ctx, room, auth.RoleEditor, "", 0)
	if _, err := s.Revoke(ctx, room, revoked.ID); err != nil {
		t.Fatal(err)
	}
	// A link whose record expired (the token has the same exp: it fails first).
	past := time.Now().Add(-time.Hour).Truncate(time.Second)
	expired := auth.Link{ID: auth.NewLinkID(), RoomID: room, Role: auth.RoleEditor, CreatedAt: past.Add(-time.Hour), ExpiresAt: &past}
	_ = store.CreateLink(ctx, expired)
	expiredTok, _ := s.Token(expired)
	// A well-signed token whose link is not in the database.
	ghostTok, _ := s.Token(auth.Link{ID: "ghost", RoomID: room, Role: auth.RoleOwner, CreatedAt: time.Now()})
	// A well-signed token claiming another room than its link's.
	swapped := viewer
	swapped.RoomID = "3Yd9WrRy6k1nN2Dr9Ke8zK4xGaa"
	swappedTok, _ := s.Token(swapped)
	// The viewer's token re-signed with owner role and a foreign key.
	forged := signed(t, jwt.SigningMethodHS256, []byte("not-the-secret-not-the-secret-00000"), auth.Claims{Room: room, Role: auth.RoleOwner,
		RegisteredClaims: jwt.RegisteredClaims{ID: viewer.ID, Issuer: auth.Issuer}})
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	es256 := signed(t, jwt.SigningMethodES256, ecKey, auth.Claims{Room: room, Role: auth.RoleOwner, RegisteredClaims: jwt.RegisteredClaims{ID: viewer.ID, Issuer: auth.Issuer}})
	hs512 := signed(t, jwt.SigningMethodHS512, linkSecret, auth.Claims{Room: room, Role: auth.RoleOwner, RegisteredClaims: jwt.RegisteredClaims{ID: viewer.ID, Issuer: auth.Issuer}})
	none := signed(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, auth.Claims{Room: room, Role: auth.RoleOwner, RegisteredClaims: jwt.RegisteredClaims{ID: viewer.ID, Issuer: auth.Issuer}})
	// Header says none, signature of the viewer token kept.
	parts := strings.Split(viewerTok, ".")
	noneHeader := "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + "." + parts[2]

	app := signed(t, jwt.SigningMethodHS256, appSecret, appClaims(room, auth.RoleEditor, "  Ada\x00 Lovelace ", time.Now().Add(time.Hour)))
	appAny := signed(t, jwt.SigningMethodHS256, appSecret, appClaims(auth.AnyRoom, auth.RoleViewer, "", time.Now().Add(time.Hour)))
	appExpired := signed(t, jwt.SigningMethodHS256, appSecret, appClaims(room, auth.RoleEditor, "x", time.Now().Add(-time.Hour)))
	appNoExp := signed(t, jwt.SigningMethodHS256, appSecret, auth.Claims{Room: room, Role: auth.RoleEditor})
	appBadRole := signed(t, jwt.SigningMethodHS256, appSecret, appClaims(room, "admin", "x", time.Now().Add(time.Hour)))
	appNoRoom := signed(t, jwt.SigningMethodHS256, appSecret, appClaims("", auth.RoleEditor, "x", time.Now().Add(time.Hour)))
	appWrongSecret := signed(t, jwt.SigningMethodHS256, []byte("wrong-app-secret-wrong-app-secret-000"), appClaims(room, auth.RoleEditor, "x", time.Now().Add(time.Hour)))
	appAsLink := signed(t, jwt.SigningMethodHS256, appSecret, auth.Claims{Room: room, Role: auth.RoleOwner,
		RegisteredClaims: jwt.RegisteredClaims{Issuer: auth.Issuer, ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))}})

	cases := []struct {
		name    string
		token   string
		wantErr error
		want    auth.Identity
	}{
		{"viewer link", viewerTok, nil, auth.Identity{Kind: auth.KindLink, Room: room, Role: auth.RoleViewer, LinkID: viewer.ID}},
		{"link with expiry", expiringTok, nil, auth.Identity{Kind: auth.KindLink, Room: room, Role: auth.RoleEditor}},
		{"empty", "", auth.ErrNoToken, auth.Identity{}},
		{"garbage", "not a token", auth.ErrInvalidToken, auth.Identity{}},
		{"too long", strings.Repeat("a", auth.DefaultMaxTokenBytes+1), auth.ErrTokenTooLong, auth.Identity{}},
		{"revoked", revokedTok, auth.ErrRevoked, auth.Identity{}},
		{"expired", expiredTok, auth.ErrExpired, auth.Identity{}},
		{"unknown link", ghostTok, auth.ErrRevoked, auth.Identity{}},
		{"room swapped", swappedTok, auth.ErrInvalidToken, auth.Identity{}},
		{"forged", forged, auth.ErrInvalidToken, auth.Identity{}},
		{"ES256", es256, auth.ErrInvalidToken, auth.Identity{}},
		{"HS512", hs512, auth.ErrInvalidToken, auth.Identity{}},
		{"alg none", none, auth.ErrInvalidToken, auth.Identity{}},
		{"none header, real signature", noneHeader, auth.ErrInvalidToken, auth.Identity{}},
		{"app token", app, nil, auth.Identity{Kind: auth.KindApp, Room: room, Role: auth.RoleEditor, Name: "Ada Lovelace"}},
		{"app token any room", appAny, nil, auth.Identity{Kind: auth.KindApp, Room: auth.AnyRoom, Role: auth.RoleViewer}},
		{"app token expired", appExpired, auth.ErrExpired, auth.Identity{}},
		{"app token without exp", appNoExp, auth.ErrInvalidToken, auth.Identity{}},
		{"app token bad role", appBadRole, auth.ErrInvalidToken, auth.Identity{}},
		{"app token without room", appNoRoom, auth.ErrInvalidToken, auth.Identity{}},
		{"app token wrong secret", appWrongSecret, auth.ErrInvalidToken, auth.Identity{}},
		{"app token posing as link", appAsLink, auth.ErrInvalidToken, auth.Identity{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.Authenticate(ctx, c.token)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("err = %v, want %v", err, c.wantErr)
				}
				if !reflect.DeepEqual(got, auth.Identity{}) {
					t.Fatalf("identity %+v returned with an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if got.Kind != c.want.Kind || got.Room != c.want.Room || got.Role != c.want.Role || got.Name != c.want.Name ||
				(c.want.LinkID != "" && got.LinkID != c.want.LinkID) {
				t.Fatalf("identity %+v, want %+v", got, c.want)
			}
		})
	}
	if n := s.Metrics().Failures("invalid"); n == 0 {
		t.Fatalf("invalid tokens not counted")
	}
}

func TestAppTokensRefusedWithoutSecret(t *testing.T) {
	t.Parallel()
	s, err := auth.NewService(auth.Config{LinkSecret: linkSecret}, auth.NewMemoryStore())
	if err != nil {
		t.Fatal(err)
	}
	app := signed(t, jwt.SigningMethodHS256, appSecret, appClaims(room, auth.RoleEditor, "x", time.Now().Add(time.Hour)))
	if _, err := s.Authenticate(context.Background(), app); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("app token without APP_TOKEN_SECRET: %v", err)
	}
}

func TestRoleChangeAppliesToIssuedToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newService(t)
	l, tok, _ := s.CreateLink(ctx, room, auth.RoleViewer, "", 0)
	if _, err := s.SetRole(ctx, room, l.ID, auth.RoleEditor); err != nil {
		t.Fatal(err)
	}
	id, err := s.Authenticate(ctx, tok)
	if err != nil || id.Role != auth.RoleEditor {
		t.Fatalf("after promotion: %+v %v", id, err)
	}
	if _, err := s.SetRole(ctx, "3Yd9WrRy6k1nN2Dr9Ke8zK4xGaa", l.ID, auth.RoleOwner); !errors.Is(err, auth.ErrLinkNotFound) {
		t.Fatalf("changing a link through another room: %v", err)
	}
	if _, err := s.SetRole(ctx, room, l.ID, "admin"); !errors.Is(err, auth.ErrInvalidInput) {
		t.Fatalf("bad role: %v", err)
	}
	if _, err := s.Revoke(ctx, room, "nope"); !errors.Is(err, auth.ErrLinkNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
	again, _ := s.Token(mustLink(t, s, l.ID))
	if again == tok {
		t.Fatalf("token should name the current role")
	}
}

func mustLink(t *testing.T, s *auth.Service, id string) auth.Link {
	t.Helper()
	links, err := s.Links(context.Background(), room)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		if l.ID == id {
			return l
		}
	}
	t.Fatalf("link %s not listed", id)
	return auth.Link{}
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	other := "3Yd9WrRy6k1nN2Dr9Ke8zK4xGaa"
	cases := []struct {
		id   auth.Identity
		room string
		need auth.Role
		want error
	}{
		{auth.Identity{Kind: auth.KindLink, Room: room, Role: auth.RoleViewer}, room, auth.RoleViewer, nil},
		{auth.Identity{Kind: auth.KindLink, Room: room, Role: auth.RoleViewer}, room, auth.RoleEditor, auth.ErrRoleTooLow},
		{auth.Identity{Kind: auth.KindLink, Room: room, Role: auth.RoleEditor}, room, auth.RoleOwner, auth.ErrRoleTooLow},
		{auth.Identity{Kind: auth.KindLink, Room: room, Role: auth.RoleOwner}, room, auth.RoleOwner, nil},
		{auth.Identity{Kind: auth.KindLink, Room: room, Role: auth.RoleOwner}, other, auth.RoleViewer, auth.ErrWrongRoom},
		{auth.Identity{Kind: auth.KindLink, Room: auth.AnyRoom, Role: auth.RoleOwner}, other, auth.RoleViewer, auth.ErrWrongRoom},
		{auth.Identity{Kind: auth.KindApp, Room: auth.AnyRoom, Role: auth.RoleEditor}, other, auth.RoleEditor, nil},
		{auth.Identity{Kind: auth.KindApp, Room: room, Role: auth.RoleEditor}, other, auth.RoleViewer, auth.ErrWrongRoom},
		{auth.Identity{Kind: auth.KindApp, Room: room, Role: "admin"}, room, auth.RoleViewer, auth.ErrRoleTooLow},
	}
	for i, c := range cases {
		if err := auth.Authorize(c.id, c.room, c.need); !errors.Is(err, c.want) || (c.want == nil && err != nil) {
			t.Errorf("case %d: Authorize = %v, want %v", i, err, c.want)
		}
	}
}

func TestNewServiceChecksSecrets(t *testing.T) {
	t.Parallel()
	st := auth.NewMemoryStore()
	for name, cfg := range map[string]auth.Config{
		"short link secret": {LinkSecret: []byte("short")},
		"short app secret":  {LinkSecret: linkSecret, AppSecret: []byte("short")},
		"same secrets":      {LinkSecret: linkSecret, AppSecret: linkSecret},
	} {
		if _, err := auth.NewService(cfg, st); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestLinkSecretIsKept(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := auth.NewMemoryStore()
	a, err := auth.LinkSecret(ctx, "", st)
	if err != nil || len(a) < auth.MinSecretBytes {
		t.Fatalf("generated secret: %d bytes, %v", len(a), err)
	}
	b, _ := auth.LinkSecret(ctx, "", st)
	if string(a) != string(b) {
		t.Fatalf("a second start generated another secret")
	}
	c, _ := auth.LinkSecret(ctx, "configured-secret", st)
	if string(c) != "configured-secret" {
		t.Fatalf("configured secret ignored")
	}
}

func TestCreateLinkValidates(t *testing.T) {
	t.Parallel()
	s, _ := newService(t)
	ctx := context.Background()
	if _, _, err := s.CreateLink(ctx, room, "admin", "", 0); !errors.Is(err, auth.ErrInvalidInput) {
		t.Errorf("bad role: %v", err)
	}
	if _, _, err := s.CreateLink(ctx, room, auth.RoleViewer, strings.Repeat("x", 101), 0); !errors.Is(err, auth.ErrInvalidInput) {
		t.Errorf("long label: %v", err)
	}
	if _, _, err := s.CreateLink(ctx, room, auth.RoleViewer, "", -time.Second); !errors.Is(err, auth.ErrInvalidInput) {
		t.Errorf("negative expiry: %v", err)
	}
}

func TestBearerToken(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc", "Basic abc": "", "": "", "Bearer": ""} {
		if got := auth.BearerToken(in); got != want {
			t.Errorf("BearerToken(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzAuthenticate: any input gets an identity or an error, never a panic,
// and only a correctly signed token is ever accepted.
func FuzzAuthenticate(f *testing.F) {
	s, _ := newService(f)
	ctx := context.Background()
	_, tok, _ := s.CreateLink(ctx, room, auth.RoleEditor, "", 0)
	f.Add(tok)
	f.Add(signed(f, jwt.SigningMethodHS256, appSecret, appClaims(room, auth.RoleEditor, "x", time.Now().Add(time.Hour))))
	f.Add(signed(f, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, auth.Claims{Room: room, Role: auth.RoleOwner}))
	f.Add("eyJhbGciOiJIUzI1NiJ9.e30.")
	f.Add("..")
	f.Add("a.b.c.d")
	f.Fuzz(func(t *testing.T, token string) {
		id, err := s.Authenticate(ctx, token)
		if err != nil {
			if !reflect.DeepEqual(id, auth.Identity{}) {
				t.Fatalf("identity with error")
			}
			return
		}
		if !id.Role.Valid() || id.Room == "" {
			t.Fatalf("accepted identity without room or role: %+v", id)
		}
	})
}

// BenchmarkAuthenticateLink is the CPU cost of checking a link token on
// connect with an in-memory link look-up (the database look-up is measured
// in persistence).
func BenchmarkAuthenticateLink(b *testing.B) {
	s, _ := newService(b)
	ctx := context.Background()
	_, tok, _ := s.CreateLink(ctx, room, auth.RoleEditor, "", time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Authenticate(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuthenticateApp(b *testing.B) {
	s, _ := newService(b)
	tok := signed(b, jwt.SigningMethodHS256, appSecret, appClaims(room, auth.RoleEditor, "Ada", time.Now().Add(time.Hour)))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Authenticate(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
