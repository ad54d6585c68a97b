package spill_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/pairpad/pairpad/internal/spill"
)

func TestWriteListReadRemove(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "pairpad-spill")
	d, err := spill.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("spill dir: %v %v", info, err)
	}
	if err := d.Write("roomA1", []byte("first")); err != nil {
		t.Fatal(err)
	}
	if err := d.Write("roomA1", []byte("second, longer")); err != nil { // replaces
		t.Fatal(err)
	}
	if err := d.Write("roomB2", []byte("b")); err != nil {
		t.Fatal(err)
	}
	// A crash mid-write leaves a temporary file: never listed.
	if err := os.WriteFile(filepath.Join(dir, ".roomC3.123.tmp"), []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := d.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "roomA1" || got[0].Size != int64(len("second, longer")) || got[1].ID != "roomB2" {
		t.Fatalf("list: %+v", got)
	}
	data, err := d.Read("roomA1")
	if err != nil || !bytes.Equal(data, []byte("second, longer")) {
		t.Fatalf("read: %q %v", data, err)
	}
	if err := d.Remove("roomA1"); err != nil {
		t.Fatal(err)
	}
	if err := d.Remove("roomA1"); err != nil {
		t.Fatalf("removing a missing spill: %v", err)
	}
	if got, _ := d.List(); len(got) != 1 || got[0].ID != "roomB2" {
		t.Fatalf("after remove: %+v", got)
	}
	tmps, _ := filepath.Glob(filepath.Join(dir, ".roomA1.*"))
	if len(tmps) != 0 {
		t.Fatalf("temporary files left: %v", tmps)
	}
}

func TestRejectsPathsAsIDs(t *testing.T) {
	d, err := spill.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"", "../x", "a/b", "a.b", string(make([]byte, 65))} {
		if err := d.Write(id, []byte("x")); err == nil {
			t.Errorf("Write(%q) accepted", id)
		}
		if _, err := d.Read(id); err == nil {
			t.Errorf("Read(%q) accepted", id)
		}
		if err := d.Remove(id); err == nil {
			t.Errorf("Remove(%q) accepted", id)
		}
	}
	if _, err := spill.Open(""); err == nil {
		t.Error("Open(\"\") accepted")
	}
}
