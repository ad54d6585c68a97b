package autocomplete

import (
	"encoding/binary"
	"unicode/utf8"
	"unsafe"
)

// byteOffset converts a position in UTF-16 code units to a byte offset in s.
// It walks s only up to the position (ASCII eight bytes at a time). A
// position inside a surrogate pair snaps back to the start of that
// character; snapped is the UTF-16 position actually used. ok is false when
// cu is negative or past the end of s. Invalid UTF-8 bytes count as one unit
// each (they cannot come from JSON, which replaces them with U+FFFD).
func byteOffset(s string, cu int) (off, snapped int, ok bool) {
	if cu < 0 {
		return 0, 0, false
	}
	// A read-only byte view of s, so the fast path can load eight bytes at
	// once without copying the string.
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	units := 0
	i := 0
	for i < len(s) && units < cu {
		// Fast path: ASCII eight bytes at a time, each byte one unit.
		for cu-units >= 8 && i+8 <= len(b) && binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 == 0 {
			i += 8
			units += 8
		}
		if units == cu || i == len(s) {
			break
		}
		b := s[i]
		if b < utf8.RuneSelf {
			i++
			units++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		n := 1
		if r >= 0x10000 {
			n = 2
		}
		if units+n > cu {
			// cu points between the two halves of a surrogate pair.
			return i, units, true
		}
		i += size
		units += n
	}
	if units < cu {
		return len(s), units, false
	}
	return i, units, true
}

// utf16Len is the length of s in UTF-16 code units.
func utf16Len(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			n++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
		i += size
	}
	return n
}
