package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ReplayTrace is an editing trace in the editing-traces format
// (github.com/josephg/editing-traces, CC BY 4.0), concurrent or sequential,
// as the replay tool uses it: every transaction names its agent and the
// transactions it happened after. A sequential trace becomes one agent whose
// transactions each follow the previous one.
type ReplayTrace struct {
	Name       string
	Kind       string // "concurrent" or "sequential"
	EndContent string
	NumAgents  int
	Txns       []ReplayTxn
}

// ReplayTxn is one transaction: Agent applies Patches, in order, to the
// document as it is after the Parents (indexes of earlier transactions)
// are merged; no parents means the empty document.
type ReplayTxn struct {
	Agent   int
	Parents []int
	Time    time.Time
	Patches []Patch
	// Language, when set, changes the room's language in the same change
	// (used by the conflict scenarios; the trace format has no such field).
	Language string
}

// maxReplayAgents bounds numAgents: one WebSocket client per agent.
const maxReplayAgents = 64

// maxTraceBytes bounds a decompressed trace file.
const maxTraceBytes = 256 << 20

type rawReplayTrace struct {
	Kind         string `json:"kind"`
	StartContent string `json:"startContent"`
	EndContent   string `json:"endContent"`
	NumAgents    *int   `json:"numAgents"`
	Txns         []struct {
		Parents   *[]int            `json:"parents"`
		Agent     int               `json:"agent"`
		Time      string            `json:"time"`
		Timestamp string            `json:"timestamp"`
		Patches   []json.RawMessage `json:"patches"`
	} `json:"txns"`
}

// ResolveTracePath turns a trace argument into a file: an existing path as
// it is, else NAME(.json.gz|.json) in the traces folder (see FindTracesDir).
func ResolveTracePath(arg, tracesFlag string) (string, error) {
	if arg == "" {
		return "", errors.New("no trace given")
	}
	if st, err := os.Stat(arg); err == nil && !st.IsDir() {
		return arg, nil
	}
	if strings.ContainsRune(arg, os.PathSeparator) {
		return "", fmt.Errorf("trace file %s not found", arg)
	}
	dir, err := FindTracesDir(tracesFlag)
	if err != nil {
		return "", err
	}
	for _, ext := range []string{".json.gz", ".json", ""} {
		p := filepath.Join(dir, arg+ext)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("trace %q not found in %s (give a path, or set -traces or %s)", arg, dir, tracesEnv)
}

// LoadReplayTrace reads a trace file (gzip-compressed or plain JSON).
func LoadReplayTrace(path string) (*ReplayTrace, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		data, err = io.ReadAll(io.LimitReader(zr, maxTraceBytes+1))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(data) > maxTraceBytes {
			return nil, fmt.Errorf("%s: more than %d bytes decompressed", path, maxTraceBytes)
		}
	}
	name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(path), ".gz"), ".json")
	tr, err := ParseReplayTrace(name, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return tr, nil
}

// ParseReplayTrace validates and converts one trace document. It checks
// what the replay relies on: parents point to earlier transactions, agents
// are in range, and each agent's transactions are ordered (each one has the
// agent's previous transaction among its ancestors).
func ParseReplayTrace(name string, data []byte) (*ReplayTrace, error) {
	var raw rawReplayTrace
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("not an editing trace: %w", err)
	}
	concurrent := raw.Kind == "concurrent" || raw.NumAgents != nil
	tr := &ReplayTrace{Name: name, EndContent: raw.EndContent, NumAgents: 1, Kind: "sequential"}
	if concurrent {
		tr.Kind = "concurrent"
		if raw.NumAgents == nil || *raw.NumAgents < 1 || *raw.NumAgents > maxReplayAgents {
			return nil, fmt.Errorf("numAgents must be 1..%d", maxReplayAgents)
		}
		tr.NumAgents = *raw.NumAgents
		if raw.StartContent != "" {
			return nil, errors.New("a concurrent trace starts from the empty document (startContent must be empty)")
		}
	}
	off := 0
	if raw.StartContent != "" {
		// The starting text as a first transaction of agent 0.
		tr.Txns = append(tr.Txns, ReplayTxn{Patches: []Patch{{Ins: raw.StartContent}}, Time: time.Unix(0, 0).UTC()})
		off = 1
	}
	for i, rt := range raw.Txns {
		ts := rt.Time
		if ts == "" {
			ts = rt.Timestamp
		}
		var when time.Time
		if ts != "" {
			var err error
			if when, err = time.Parse(time.RFC3339Nano, ts); err != nil {
				return nil, fmt.Errorf("txn %d: time %q: %w", i, ts, err)
			}
		}
		txn := ReplayTxn{Time: when}
		if concurrent {
			if rt.Parents == nil {
				return nil, fmt.Errorf("txn %d: no parents field", i)
			}
			if rt.Agent < 0 || rt.Agent >= tr.NumAgents {
				return nil, fmt.Errorf("txn %d: agent %d out of range 0..%d", i, rt.Agent, tr.NumAgents-1)
			}
			txn.Agent = rt.Agent
			for _, p := range *rt.Parents {
				if p < 0 || p >= i {
					return nil, fmt.Errorf("txn %d: parent %d is not an earlier transaction", i, p)
				}
				txn.Parents = append(txn.Parents, p+off)
			}
		} else if i+off > 0 {
			txn.Parents = []int{i + off - 1}
		}
		for j, rp := range rt.Patches {
			var tuple []json.RawMessage
			if err := json.Unmarshal(rp, &tuple); err != nil || len(tuple) < 3 {
				return nil, fmt.Errorf("txn %d patch %d: want [pos, del, ins]", i, j)
			}
			var p Patch
			if json.Unmarshal(tuple[0], &p.Pos) != nil || json.Unmarshal(tuple[1], &p.Del) != nil || json.Unmarshal(tuple[2], &p.Ins) != nil {
				return nil, fmt.Errorf("txn %d patch %d: want [int, int, string]", i, j)
			}
			if p.Pos < 0 || p.Del < 0 {
				return nil, fmt.Errorf("txn %d patch %d: negative position or count", i, j)
			}
			txn.Patches = append(txn.Patches, p)
		}
		tr.Txns = append(tr.Txns, txn)
	}
	if len(tr.Txns) == 0 {
		return nil, errors.New("no transactions")
	}
	if err := checkAgentOrder(tr); err != nil {
		return nil, err
	}
	return tr, nil
}

// checkAgentOrder verifies that each agent's transactions form a chain: the
// agent's previous transaction is an ancestor of its next one. (A replay
// applies each transaction on the agent's own document, which then holds
// exactly the transaction's ancestors.)
func checkAgentOrder(tr *ReplayTrace) error {
	last := make([]int, tr.NumAgents)
	for i := range last {
		last[i] = -1
	}
	for i, txn := range tr.Txns {
		if prev := last[txn.Agent]; prev >= 0 && !isAncestor(tr, prev, txn.Parents) {
			return fmt.Errorf("txn %d: agent %d's previous transaction %d is not among its ancestors (an agent's edits must be ordered)", i, txn.Agent, prev)
		}
		last[txn.Agent] = i
	}
	return nil
}

// isAncestor reports whether txn a is among parents or their ancestors.
// Parents only point back, so the walk stops below a.
func isAncestor(tr *ReplayTrace, a int, parents []int) bool {
	seen := map[int]bool{}
	stack := append([]int(nil), parents...)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n == a {
			return true
		}
		if n < a || seen[n] {
			continue
		}
		seen[n] = true
		stack = append(stack, tr.Txns[n].Parents...)
	}
	return false
}

// Prefix returns the trace cut to its first n transactions (all when n <= 0
// or n is larger). The parents of a kept transaction are always kept.
func (tr *ReplayTrace) Prefix(n int) *ReplayTrace {
	if n <= 0 || n >= len(tr.Txns) {
		return tr
	}
	out := *tr
	out.Txns = tr.Txns[:n]
	out.EndContent = ""
	return &out
}
