// Package memtrim returns memory freed by C code to the operating system.
//
// automerge-go keeps documents in Rust memory and frees it only from Go
// finalizers, and Go's GC is paced by the Go heap alone, so after rooms are
// unloaded their documents may stay allocated for minutes. Release forces a
// collection (running those finalizers) and asks glibc to give free pages
// back. Safe for concurrent use.
package memtrim

import (
	"runtime/debug"
	"time"
)

// Release runs a GC, waits briefly for finalizers, and trims the C heap.
func Release() {
	debug.FreeOSMemory() // GC, queues the finalizers of dead documents
	time.Sleep(200 * time.Millisecond)
	debug.FreeOSMemory() // objects the finalizers released
	trimCHeap()
}
