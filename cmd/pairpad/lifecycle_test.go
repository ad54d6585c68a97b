package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	stdsync "sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/pairpad/pairpad/crdt"
	"github.com/pairpad/pairpad/internal/testenv"
	"github.com/pairpad/pairpad/persistence"
	pairsync "github.com/pairpad/pairpad/sync"
	"github.com/pairpad/pairpad/sync/wireclient"
)

// These tests run the real binary: start it, edit through a real client,
// signal it, start it again and read back.

var (
	buildOnce stdsync.Once
	binPath   string
	buildErr  error
)

func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pairpad-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "pairpad")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

type proc struct {
	cmd  *exec.Cmd
	addr string
	out  *bytes.Buffer
	done chan error
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func start(t *testing.T, dbURL string, extra ...string) *proc {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(binary(t))
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "ADDR="+addr, "DATABASE_URL="+dbURL, "LOG_LEVEL=info", "CLIENT_DIR="+t.TempDir())
	cmd.Env = append(cmd.Env, extra...)
	p := &proc{cmd: cmd, addr: addr, out: &bytes.Buffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case err := <-p.done:
			t.Fatalf("pairpad exited at start: %v\n%s", err, p.out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("pairpad not ready\n%s", p.out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *proc) stop(t *testing.T, sig syscall.Signal) {
	t.Helper()
	_ = p.cmd.Process.Signal(sig)
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("pairpad exited with %v\n%s", err, p.out)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("pairpad did not stop\n%s", p.out)
	}
}

func (p *proc) createRoom(t *testing.T, lang string) string {
	t.Helper()
	resp, err := http.Post("http://"+p.addr+"/rooms", "application/json", bytes.NewReader([]byte(`{"language":"`+lang+`"}`)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		RoomID     string `json:"room_id"`
		OwnerToken string `json:"owner_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 201 || out.OwnerToken == "" {
		t.Fatalf("create room: %d %v %+v", resp.StatusCode, err, out)
	}
	// Default ACCESS=links: the owner token must keep working across
	// restarts (its secret is generated once and kept in the database).
	ownerTokens.Store(out.RoomID, out.OwnerToken)
	return out.RoomID
}

// ownerTokens: room id -> owner token, across server restarts.
var ownerTokens stdsync.Map

func ownerToken(room string) string {
	v, _ := ownerTokens.Load(room)
	s, _ := v.(string)
	return s
}

func (p *proc) text(t *testing.T, room string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+p.addr+"/rooms/"+room+"/text", nil)
	req.Header.Set("Authorization", "Bearer "+ownerToken(room))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("text: %d %s", resp.StatusCode, b)
	}
	return string(b)
}

func (p *proc) dial(t *testing.T, room string) *wireclient.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := wireclient.Dial(ctx, "ws://"+p.addr+"/ws/"+room+"?token="+ownerToken(room), room, wireclient.ClientOptions{AdvertiseV2: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// storedText reads the room straight from the database.
func storedText(t *testing.T, dbURL, room string) string {
	t.Helper()
	s, err := persistence.Open(context.Background(), dbURL, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec, err := s.Load(context.Background(), room)
	if err != nil {
		t.Fatal(err)
	}
	d, err := crdt.Load(rec.Data)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := d.Text()
	return text
}

func databases(t *testing.T) map[string]string {
	return map[string]string{
		"sqlite":   "sqlite:" + filepath.Join(t.TempDir(), "pairpad.db"),
		"postgres": testenv.PostgresURL(t),
	}
}

func TestSaveOnSIGTERMAndRestart(t *testing.T) {
	for name, db := range databases(t) {
		t.Run(name, func(t *testing.T) {
			p := start(t, db, "FLUSH_INTERVAL=1h")
			room := p.createRoom(t, "rust")
			c := p.dial(t, room)
			want := "fn main() { println!(\"saved on SIGTERM\"); }"
			if err := c.Splice(0, 0, want); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "server has the edit", func() bool { return p.text(t, room) == want })
			p.stop(t, syscall.SIGTERM)
			<-c.Done()
			if c.CloseCode() != int(pairsync.CloseGoingAway) {
				t.Errorf("client closed with %d, want 1001", c.CloseCode())
			}
			if got := storedText(t, db, room); got != want {
				t.Fatalf("stored after SIGTERM: %q", got)
			}
			q := start(t, db)
			if got := q.text(t, room); got != want {
				t.Fatalf("after restart: %q", got)
			}
			c2 := q.dial(t, room)
			if c2.Text() != want || c2.Language() != "rust" {
				t.Fatalf("client after restart: %q %q", c2.Text(), c2.Language())
			}
			q.stop(t, syscall.SIGINT)
		})
	}
}

func TestFlushIntervalAndLastLeave(t *testing.T) {
	for name, db := range databases(t) {
		t.Run(name, func(t *testing.T) {
			p := start(t, db, "FLUSH_INTERVAL=200ms")
			room := p.createRoom(t, "go")
			c := p.dial(t, room)
			if err := c.Splice(0, 0, "flushed while connected"); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "periodic flush", func() bool { return storedText(t, db, room) == "flushed while connected" })

			p2 := start(t, db, "FLUSH_INTERVAL=1h")
			room2 := p2.createRoom(t, "go")
			c2 := p2.dial(t, room2)
			if err := c2.Splice(0, 0, "saved on last leave"); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "server has the edit", func() bool { return p2.text(t, room2) == "saved on last leave" })
			c2.Close()
			waitFor(t, "save on last leave", func() bool { return storedText(t, db, room2) == "saved on last leave" })
			p.stop(t, syscall.SIGTERM)
			p2.stop(t, syscall.SIGTERM)
		})
	}
}

func TestInvalidConfigStopsStart(t *testing.T) {
	cmd := exec.Command(binary(t))
	cmd.Env = append(os.Environ(), "FLUSH_INTERVAL=often")
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 2 || !bytes.Contains(out, []byte("FLUSH_INTERVAL")) {
		t.Fatalf("exit %v, output %s", err, out)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
