package main

import (
	"fmt"
	"sort"
)

// ConflictScenario is a small named conflict: two people start from the
// same text and edit it concurrently (neither sees the other's edit until
// both are done), then the edits merge. The outcome shows how Pairpad's CRDT
// (Automerge) resolves it, for comparison with other CRDTs.
type ConflictScenario struct {
	Name     string
	About    string
	Base     string
	Language string // the room's language before the edits
	A, B     []ScenarioEdit
}

// ScenarioEdit is one edit of one person: patches in order (one
// transaction, one change), or a language change.
type ScenarioEdit struct {
	Patches  []Patch
	Language string
}

func ins(pos int, s string) ScenarioEdit { return ScenarioEdit{Patches: []Patch{{Pos: pos, Ins: s}}} }
func del(pos, n int) ScenarioEdit        { return ScenarioEdit{Patches: []Patch{{Pos: pos, Del: n}}} }
func rep(pos, n int, s string) ScenarioEdit {
	return ScenarioEdit{Patches: []Patch{{Pos: pos, Del: n, Ins: s}}}
}

// typing is one keystroke per character (a change each), from pos on.
func typing(pos int, s string) []ScenarioEdit {
	var out []ScenarioEdit
	for i, r := range []rune(s) {
		out = append(out, ins(pos+i, string(r)))
	}
	return out
}

// ConflictScenarios are the scenarios `pairload replay --scenario` knows.
var ConflictScenarios = []ConflictScenario{
	{Name: "same-position-insert", About: "both insert one word at the same place",
		Base: "ab", A: []ScenarioEdit{ins(1, "X")}, B: []ScenarioEdit{ins(1, "Y")}},
	{Name: "same-position-typing", About: "both type a word character by character at the same place (do the runs interleave?)",
		Base: "f()", A: typing(2, "foo"), B: typing(2, "bar")},
	{Name: "append-at-end", About: "both add a line at the end of the file",
		Base: "line 1\n", A: []ScenarioEdit{ins(7, "from A\n")}, B: []ScenarioEdit{ins(7, "from B\n")}},
	{Name: "delete-vs-insert", About: "A deletes a word while B types inside it",
		Base: "hello world", A: []ScenarioEdit{del(6, 5)}, B: []ScenarioEdit{ins(8, "!!")}},
	{Name: "overlapping-deletes", About: "both delete overlapping ranges",
		Base: "abcdef", A: []ScenarioEdit{del(1, 3)}, B: []ScenarioEdit{del(2, 3)}},
	{Name: "same-deletion", About: "both delete the same range",
		Base: "keep DROP keep", A: []ScenarioEdit{del(4, 5)}, B: []ScenarioEdit{del(4, 5)}},
	{Name: "replace-same-word", About: "both replace the same value with different ones",
		Base: "let x = 1;", A: []ScenarioEdit{rep(8, 1, "2")}, B: []ScenarioEdit{rep(8, 1, "3")}},
	{Name: "delete-line-vs-edit-line", About: "A deletes a line while B edits it",
		Base: "a\nb\nc\n", A: []ScenarioEdit{del(2, 2)}, B: []ScenarioEdit{ins(3, " // note")}},
	{Name: "move-vs-edit", About: "A cuts a line and pastes it elsewhere (a move) while B edits it",
		Base: "one\ntwo\nthree\n", A: []ScenarioEdit{{Patches: []Patch{{Pos: 4, Del: 4}, {Pos: 10, Ins: "two\n"}}}}, B: []ScenarioEdit{ins(7, "!")}},
	{Name: "concurrent-language-change", About: "both change the room's language",
		Base: "print(1)\n", Language: "go", A: []ScenarioEdit{{Language: "python"}}, B: []ScenarioEdit{{Language: "rust"}}},
	{Name: "language-vs-typing", About: "A changes the language while B types",
		Base: "x", Language: "go", A: []ScenarioEdit{{Language: "python"}}, B: []ScenarioEdit{ins(1, " = 1")}},
}

// FindScenario returns the named scenario.
func FindScenario(name string) (ConflictScenario, error) {
	for _, s := range ConflictScenarios {
		if s.Name == name {
			return s, nil
		}
	}
	names := make([]string, len(ConflictScenarios))
	for i, s := range ConflictScenarios {
		names[i] = s.Name
	}
	sort.Strings(names)
	return ConflictScenario{}, fmt.Errorf("unknown scenario %q; known: %v", name, names)
}

// Trace turns the scenario into a two-agent concurrent trace: txn 0 (agent
// 0) writes the base; A's edits follow it, B's edits follow it too without
// A's; a last empty transaction merges both.
func (s ConflictScenario) Trace() *ReplayTrace {
	tr := &ReplayTrace{Name: "scenario-" + s.Name, Kind: "concurrent", NumAgents: 2}
	base := ReplayTxn{Agent: 0, Parents: nil}
	if s.Base != "" {
		base.Patches = []Patch{{Ins: s.Base}}
	}
	base.Language = s.Language
	tr.Txns = append(tr.Txns, base)
	heads := [2]int{0, 0}
	add := func(agent int, edits []ScenarioEdit) {
		for _, e := range edits {
			tr.Txns = append(tr.Txns, ReplayTxn{Agent: agent, Parents: []int{heads[agent]}, Patches: e.Patches, Language: e.Language})
			heads[agent] = len(tr.Txns) - 1
		}
	}
	add(0, s.A)
	add(1, s.B)
	parents := []int{heads[0]}
	if heads[1] != heads[0] {
		parents = append(parents, heads[1])
	}
	tr.Txns = append(tr.Txns, ReplayTxn{Agent: 0, Parents: parents})
	return tr
}

// sideText applies the base and one side's edits (no merge): what that
// person saw before the merge.
func (s ConflictScenario) sideText(edits []ScenarioEdit) (string, error) {
	var ks []Keystroke
	for _, e := range edits {
		for _, p := range e.Patches {
			ks = append(ks, Keystroke{Patch: p})
		}
	}
	if len(ks) == 0 {
		return s.Base, nil
	}
	return Replay(s.Base, ks, 0)
}

// sideLanguage is the language after one side's edits.
func (s ConflictScenario) sideLanguage(edits []ScenarioEdit) string {
	lang := s.Language
	for _, e := range edits {
		if e.Language != "" {
			lang = e.Language
		}
	}
	return lang
}
