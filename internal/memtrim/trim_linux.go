//go:build linux && cgo

package memtrim

// #include <malloc.h>
import "C"

func trimCHeap() { C.malloc_trim(0) }
