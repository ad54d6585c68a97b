// Package spill keeps documents that could not be saved to the database in
// a local directory (SPILL_DIR), durably: each write goes to a temporary
// file that is fsynced, renamed over the room's file, and the directory is
// fsynced, so after a crash a room's spill file is either its previous
// version or the new one, whole.
//
// One file per room, named <room id>.automerge, holding the saved Automerge
// document. A Dir is safe for concurrent use on different rooms; writes of
// the same room are serialised by the caller (its room goroutine).
package spill

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const suffix = ".automerge"

// Dir is a spill directory.
type Dir struct{ path string }

// Open returns the spill directory at path, creating it (0700) if needed.
func Open(path string) (*Dir, error) {
	if path == "" {
		return nil, errors.New("spill: empty directory path")
	}
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("spill: create %s: %w", path, err)
	}
	return &Dir{path: path}, nil
}

// Path is the directory.
func (d *Dir) Path() string { return d.path }

// validID accepts room ids (base58 document ids) and nothing that could
// name another path.
func validID(id string) error {
	if id == "" || len(id) > 64 {
		return fmt.Errorf("spill: invalid room id %q", id)
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return fmt.Errorf("spill: invalid room id %q", id)
		}
	}
	return nil
}

// File is the path a room spills to.
func (d *Dir) File(id string) string { return filepath.Join(d.path, id+suffix) }

// Write stores data as room id's spill, durably (see the package doc).
func (d *Dir) Write(id string, data []byte) error {
	if err := validID(id); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(d.path, "."+id+".*.tmp")
	if err != nil {
		return fmt.Errorf("spill %s: %w", id, err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("spill %s: write: %w", id, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("spill %s: fsync: %w", id, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("spill %s: close: %w", id, err)
	}
	if err := os.Rename(tmp.Name(), d.File(id)); err != nil {
		return fmt.Errorf("spill %s: rename: %w", id, err)
	}
	ok = true
	return d.syncDir()
}

func (d *Dir) syncDir() error {
	f, err := os.Open(d.path)
	if err != nil {
		return fmt.Errorf("spill: open directory: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("spill: fsync directory %s: %w", d.path, err)
	}
	return nil
}

// Entry is one spilled room.
type Entry struct {
	ID      string
	Size    int64
	ModTime time.Time
}

// List returns the spilled rooms. Leftover temporary files (a crash in the
// middle of a write) are ignored: the room's previous file, if any, is whole.
func (d *Dir) List() ([]Entry, error) {
	des, err := os.ReadDir(d.path)
	if err != nil {
		return nil, fmt.Errorf("spill: list %s: %w", d.path, err)
	}
	var out []Entry
	for _, de := range des {
		name := de.Name()
		if !de.Type().IsRegular() || !strings.HasSuffix(name, suffix) {
			continue
		}
		id := strings.TrimSuffix(name, suffix)
		if validID(id) != nil {
			continue
		}
		info, err := de.Info()
		if err != nil {
			return nil, fmt.Errorf("spill: %w", err)
		}
		out = append(out, Entry{ID: id, Size: info.Size(), ModTime: info.ModTime()})
	}
	return out, nil
}

// Read returns room id's spilled bytes.
func (d *Dir) Read(id string) ([]byte, error) {
	if err := validID(id); err != nil {
		return nil, err
	}
	return os.ReadFile(d.File(id))
}

// Remove deletes room id's spill (durably). Removing a missing file is not
// an error.
func (d *Dir) Remove(id string) error {
	if err := validID(id); err != nil {
		return err
	}
	if err := os.Remove(d.File(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("spill %s: remove: %w", id, err)
	}
	return d.syncDir()
}
