package autocomplete

import "unicode/utf8"

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
	units := 0
	i := 0
	for i < len(s) && units < cu {
		// Fast path: eight ASCII bytes, each one unit.
		if cu-units >= 8 && i+8 <= len(s) {
			if (s[i]|s[i+1]|s[i+2]|s[i+3]|s[i+4]|s[i+5]|s[i+6]|s[i+7])&0x80 == 0 {
				i += 8
				units += 8
				continue
			}
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
