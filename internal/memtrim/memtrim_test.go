package memtrim

import (
	"runtime"
	"testing"
)

// Release must free what finalizers hold: an object with a finalizer that
// is unreachable has its finalizer run by the time Release returns.
func TestReleaseRunsFinalizers(t *testing.T) {
	ran := make(chan struct{}, 1)
	func() {
		x := new([1 << 16]byte)
		runtime.SetFinalizer(x, func(*[1 << 16]byte) { ran <- struct{}{} })
	}()
	Release()
	select {
	case <-ran:
	default:
		t.Fatal("finalizer of an unreachable object did not run")
	}
}
