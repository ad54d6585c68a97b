package main

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Trace is one editing trace from Joseph Gentle's editing-traces collection
// (github.com/josephg/editing-traces, CC BY 4.0), as kept in testdata/traces.
type Trace struct {
	Name         string
	StartContent string
	EndContent   string
	Txns         []Txn
}

// Txn is one recorded transaction: patches applied in order at one instant.
type Txn struct {
	Time    time.Time
	Patches []Patch
}

// Patch deletes Del code points at Pos, then inserts Ins there. Positions
// count Unicode code points, as automerge-go's Splice does.
type Patch struct {
	Pos int
	Del int
	Ins string
}

// Keystroke is one patch scheduled for replay: one Automerge change.
type Keystroke struct {
	Patch
	// At is the offset from the start of the replay at the recorded pace
	// (pauses longer than the cap are shortened to it).
	At time.Duration
	// Bulk marks a patch of a transaction stamped at the Unix epoch: the
	// traces record loading the starting file that way (one ~25 KB
	// insert), not typing.
	Bulk bool
}

type rawTrace struct {
	StartContent string `json:"startContent"`
	EndContent   string `json:"endContent"`
	Txns         []struct {
		Time      string            `json:"time"`
		Timestamp string            `json:"timestamp"`
		Patches   []json.RawMessage `json:"patches"`
	} `json:"txns"`
}

// tracesEnv names the environment variable that overrides where traces are.
const tracesEnv = "PAIRPAD_TRACES"

// TraceNames are the traces the benchmarks use.
var TraceNames = []string{"rustcode", "sveltecomponent"}

// FindTracesDir returns the traces folder: flag value, else $PAIRPAD_TRACES,
// else testdata/traces in the repository (found by walking up from the
// working directory to the folder holding go.mod).
func FindTracesDir(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if v := os.Getenv(tracesEnv); v != "" {
		return v, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			cand := filepath.Join(dir, "testdata", "traces")
			if _, err := os.Stat(cand); err != nil {
				return "", fmt.Errorf("traces not found at %s (set -traces or %s): %w", cand, tracesEnv, err)
			}
			return filepath.Clean(cand), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory; set -traces or %s", tracesEnv)
		}
		dir = parent
	}
}

// LoadTrace reads dir/name.json.gz.
func LoadTrace(dir, name string) (*Trace, error) {
	path := filepath.Join(dir, name+".json.gz")
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open trace (set -traces or %s): %w", tracesEnv, err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var raw rawTrace
	if err := json.NewDecoder(zr).Decode(&raw); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return parseTrace(name, raw)
}

func parseTrace(name string, raw rawTrace) (*Trace, error) {
	t := &Trace{Name: name, StartContent: raw.StartContent, EndContent: raw.EndContent, Txns: make([]Txn, 0, len(raw.Txns))}
	for i, rt := range raw.Txns {
		ts := rt.Time
		if ts == "" {
			ts = rt.Timestamp
		}
		var when time.Time
		if ts != "" {
			var err error
			if when, err = time.Parse(time.RFC3339Nano, ts); err != nil {
				return nil, fmt.Errorf("%s: txn %d: time %q: %w", name, i, ts, err)
			}
		}
		txn := Txn{Time: when, Patches: make([]Patch, 0, len(rt.Patches))}
		for j, rp := range rt.Patches {
			var tuple []json.RawMessage
			if err := json.Unmarshal(rp, &tuple); err != nil || len(tuple) != 3 {
				return nil, fmt.Errorf("%s: txn %d patch %d: want [pos, del, ins]", name, i, j)
			}
			var p Patch
			if json.Unmarshal(tuple[0], &p.Pos) != nil || json.Unmarshal(tuple[1], &p.Del) != nil || json.Unmarshal(tuple[2], &p.Ins) != nil {
				return nil, fmt.Errorf("%s: txn %d patch %d: want [int, int, string]", name, i, j)
			}
			if p.Pos < 0 || p.Del < 0 {
				return nil, fmt.Errorf("%s: txn %d patch %d: negative position or count", name, i, j)
			}
			txn.Patches = append(txn.Patches, p)
		}
		t.Txns = append(t.Txns, txn)
	}
	return t, nil
}

// Keystrokes flattens the trace into one keystroke per patch, dropping
// patches that change nothing (an empty Automerge commit is an error).
// maxGap caps recorded pauses (0: no cap).
func (t *Trace) Keystrokes(maxGap time.Duration) []Keystroke {
	var out []Keystroke
	var at time.Duration
	var prev time.Time
	for _, txn := range t.Txns {
		if !prev.IsZero() && !txn.Time.IsZero() {
			gap := txn.Time.Sub(prev)
			if gap < 0 {
				gap = 0
			}
			if maxGap > 0 && gap > maxGap {
				gap = maxGap
			}
			at += gap
		}
		if !txn.Time.IsZero() {
			prev = txn.Time
		}
		for _, p := range txn.Patches {
			if p.Del == 0 && p.Ins == "" {
				continue
			}
			out = append(out, Keystroke{Patch: p, At: at, Bulk: !txn.Time.IsZero() && txn.Time.Unix() <= 0})
		}
	}
	return out
}

// BulkPrefix counts the leading bulk keystrokes: the load tool applies them
// to a room before measuring, as the file the session started from.
func BulkPrefix(ks []Keystroke) int {
	n := 0
	for n < len(ks) && ks[n].Bulk {
		n++
	}
	return n
}

// errPatchOutOfRange reports a patch that does not fit the text.
var errPatchOutOfRange = errors.New("patch out of range")

// Replay applies the first n keystrokes (all when n <= 0 or n > len) to
// start and returns the text.
func Replay(start string, ks []Keystroke, n int) (string, error) {
	if n <= 0 || n > len(ks) {
		n = len(ks)
	}
	// A rune slice with in-place edits: the traces have tens of thousands of
	// small patches on tens of thousands of code points.
	buf := []rune(start)
	for i := 0; i < n; i++ {
		p := ks[i].Patch
		if p.Pos > len(buf) || p.Pos+p.Del > len(buf) {
			return "", fmt.Errorf("keystroke %d: %w: pos %d del %d on %d code points", i, errPatchOutOfRange, p.Pos, p.Del, len(buf))
		}
		ins := []rune(p.Ins)
		delta := len(ins) - p.Del
		if delta > 0 {
			buf = append(buf, make([]rune, delta)...)
			copy(buf[p.Pos+len(ins):], buf[p.Pos+p.Del:len(buf)-delta])
		} else if delta < 0 {
			copy(buf[p.Pos+len(ins):], buf[p.Pos+p.Del:])
			buf = buf[:len(buf)+delta]
		}
		copy(buf[p.Pos:], ins)
	}
	var b strings.Builder
	b.Grow(len(buf))
	for _, r := range buf {
		b.WriteRune(r)
	}
	return b.String(), nil
}
