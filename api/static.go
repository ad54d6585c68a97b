package api

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// staticFiles serves the built client: real files from dir, index.html for
// any other GET that is not an API path (client-side routes such as
// /room/{id}), gzip for compressible files (compressed once, kept in memory).
type staticFiles struct {
	dir string

	mu   sync.Mutex
	gzip map[string]gzEntry // by file path
}

type gzEntry struct {
	mod  time.Time
	size int64
	data []byte
}

func newStaticFiles(dir string) *staticFiles {
	return &staticFiles{dir: dir, gzip: map[string]gzEntry{}}
}

var apiPrefixes = []string{"/rooms", "/ws", "/autocomplete", "/healthz", "/readyz", "/metrics"}

func (s *staticFiles) serve(c *gin.Context) {
	p := c.Request.URL.Path
	for _, pre := range apiPrefixes {
		if p == pre || strings.HasPrefix(p, pre+"/") {
			writeError(c, http.StatusNotFound, "not_found", "no such endpoint: "+c.Request.Method+" "+p)
			return
		}
	}
	if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead {
		writeError(c, http.StatusNotFound, "not_found", "no such endpoint: "+c.Request.Method+" "+p)
		return
	}
	if s.dir == "" {
		s.notBuilt(c)
		return
	}
	clean := path.Clean("/" + p)
	file := filepath.Join(s.dir, filepath.FromSlash(clean))
	st, err := os.Stat(file)
	if err != nil || st.IsDir() {
		if path.Ext(clean) != "" && !strings.HasPrefix(clean, "/room/") {
			writeError(c, http.StatusNotFound, "not_found", "no such file: "+clean)
			return
		}
		file = filepath.Join(s.dir, "index.html")
		if st, err = os.Stat(file); err != nil {
			s.notBuilt(c)
			return
		}
	}
	if strings.HasPrefix(clean, "/assets/") {
		c.Header("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Header("Cache-Control", "no-cache")
	}
	if compressible(file) && strings.Contains(c.GetHeader("Accept-Encoding"), "gzip") {
		if gz, err := s.gzipped(file, st); err == nil {
			c.Header("Content-Encoding", "gzip")
			c.Header("Vary", "Accept-Encoding")
			http.ServeContent(c.Writer, c.Request, filepath.Base(file), st.ModTime(), bytes.NewReader(gz))
			return
		}
	}
	c.File(file)
}

func (s *staticFiles) notBuilt(c *gin.Context) {
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.String(http.StatusServiceUnavailable, "<!doctype html><title>Pairpad</title><p>The browser client is not built. Run <code>make run</code> (or <code>cd client &amp;&amp; npm ci &amp;&amp; npm run build</code>) and reload.</p>")
}

func compressible(file string) bool {
	switch strings.ToLower(filepath.Ext(file)) {
	case ".js", ".mjs", ".css", ".html", ".wasm", ".svg", ".json", ".map", ".txt":
		return true
	}
	return false
}

func (s *staticFiles) gzipped(file string, st os.FileInfo) ([]byte, error) {
	s.mu.Lock()
	e, ok := s.gzip[file]
	s.mu.Unlock()
	if ok && e.mod.Equal(st.ModTime()) && e.size == st.Size() {
		return e.data, nil
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.gzip[file] = gzEntry{mod: st.ModTime(), size: st.Size(), data: buf.Bytes()}
	s.mu.Unlock()
	return buf.Bytes(), nil
}
