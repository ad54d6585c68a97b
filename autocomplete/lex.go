package autocomplete

// opener is an unclosed bracket seen by the lexer.
type opener struct {
	ch  byte // '(', '[' or '{'
	pos int  // byte offset in the code
}

// lexState is what a light lexer knows at the end of a span: which brackets
// are still open and whether the span ends inside a string or comment.
type lexState struct {
	stack        []opener
	quote        byte // quote of the string the span ends in, 0 if none
	quotePos     int  // offset of that string's opening quote
	triple       bool // the string is a Python triple-quoted one
	lineComment  bool
	blockComment bool
}

const maxStack = 128

func closerOf(ch byte) byte {
	switch ch {
	case '(':
		return ')'
	case '[':
		return ']'
	case '{':
		return '}'
	}
	return 0
}

func openerOf(ch byte) byte {
	switch ch {
	case ')':
		return '('
	case ']':
		return '['
	case '}':
		return '{'
	}
	return 0
}

// lex scans s[start:end] with the comment and string rules of lang's family.
// It does not know what lies before start; callers begin at a line start.
func lex(l *language, s string, start, end int) lexState {
	var st lexState
	st.stack = make([]opener, 0, 16)
	py := l.fam == famPython
	backtick := l.name == "javascript" || l.name == "typescript" || l.name == "go"
	for i := start; i < end; i++ {
		b := s[i]
		switch {
		case st.lineComment:
			if b == '\n' {
				st.lineComment = false
			}
			continue
		case st.blockComment:
			if b == '*' && i+1 < end && s[i+1] == '/' {
				st.blockComment = false
				i++
			}
			continue
		case st.quote != 0:
			switch {
			case b == '\\' && !(st.quote == '`' && l.name == "go"):
				i++
			case b == '\n' && st.quote != '`' && !st.triple:
				st.quote = 0 // unterminated string ends at the line
			case b == st.quote:
				if st.triple {
					if i+2 < end && s[i+1] == b && s[i+2] == b {
						st.quote, st.triple = 0, false
						i += 2
					}
				} else {
					st.quote = 0
				}
			}
			continue
		}
		switch b {
		case '#':
			if py {
				st.lineComment = true
			}
		case '/':
			if !py && i+1 < end {
				if s[i+1] == '/' {
					st.lineComment = true
					i++
				} else if s[i+1] == '*' {
					st.blockComment = true
					i++
				}
			}
		case '"', '\'', '`':
			if b == '`' && !backtick {
				continue
			}
			if b == '\'' && l.fam == famRust {
				// A char literal 'x' or '\n'; otherwise a lifetime.
				if !(i+2 < end && (s[i+2] == '\'' || s[i+1] == '\\')) {
					continue
				}
			}
			st.quote, st.quotePos = b, i
			if py && i+2 < end && s[i+1] == b && s[i+2] == b {
				st.triple = true
				i += 2
			}
		case '(', '[', '{':
			if len(st.stack) == maxStack {
				copy(st.stack, st.stack[1:])
				st.stack = st.stack[:maxStack-1]
			}
			st.stack = append(st.stack, opener{b, i})
		case ')', ']', '}':
			want := openerOf(b)
			for j := len(st.stack) - 1; j >= 0; j-- {
				if st.stack[j].ch == want {
					st.stack = st.stack[:j]
					break
				}
			}
		}
	}
	return st
}
