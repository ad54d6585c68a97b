// Package memtrim returns memory freed by C code to the operating system.
//
// automerge-go keeps documents in Rust memory and frees it only from Go
// finalizers, and Go's GC is paced by the Go heap alone, so after rooms are
// unloaded their documents may stay allocated for minutes. Release forces a
// collection, waits until the finalizers it queued have run, and asks glibc
// to give free pages back. Safe for concurrent use.
package memtrim

import (
	"runtime"
	"runtime/debug"
	"time"
)

// finalizerWait bounds how long Release waits for queued finalizers.
const finalizerWait = 5 * time.Second

// Release runs a GC, waits for the finalizers of what it found dead, returns
// free Go memory, and trims the C heap.
func Release() {
	runtime.GC()
	// The runtime runs a batch of queued finalizers newest first, and a
	// batch queued later only after the current one: so when the second
	// sentinel's finalizer runs, every finalizer of the first GC has.
	for i := 0; i < 2; i++ {
		if !sentinel() {
			break
		}
	}
	debug.FreeOSMemory()
	trimCHeap()
}

// sentinel drops an object with a finalizer, collects, and waits for the
// finalizer; false if it did not run in time.
func sentinel() bool {
	done := make(chan struct{})
	func() {
		s := new([16]byte)
		runtime.SetFinalizer(s, func(*[16]byte) { close(done) })
	}()
	runtime.GC()
	select {
	case <-done:
		return true
	case <-time.After(finalizerWait):
		return false
	}
}
