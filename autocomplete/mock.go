package autocomplete

import (
	"context"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MockName is the name the mock engine reports.
const MockName = "mock"

// Window sizes: the mock looks at most this far before and after the cursor,
// so its cost does not grow with the document (apart from the UTF-16 walk
// to the cursor, which is cheap).
const (
	windowBefore = 8 << 10
	windowAfter  = 2 << 10
	defaultMax   = 5
)

// Mock is the built-in deterministic engine: no network, no model. It reads
// the text around the cursor and offers identifier completions, snippets for
// the construct begun on the line, and closers for open brackets, quotes and
// blocks. It returns nothing rather than noise. The zero value is ready to use.
type Mock struct{}

// NewMock returns the mock engine.
func NewMock() *Mock { return &Mock{} }

// Name returns "mock".
func (*Mock) Name() string { return MockName }

// Complete implements Engine. A cursor outside the code is a *FieldError.
func (*Mock) Complete(ctx context.Context, req Request) ([]Suggestion, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cur, cu, ok := byteOffset(req.Code, req.Cursor)
	if !ok {
		return nil, &FieldError{Field: "cursor", Message: "is outside the code"}
	}
	max := req.Max
	if max <= 0 {
		max = defaultMax
	}
	c := newMctx(lookupLanguage(req.Language), req.Code, cur, cu)
	return finish(c.suggest(), max), nil
}

// finish drops empty and duplicate suggestions and caps the count.
func finish(in []Suggestion, max int) []Suggestion {
	out := make([]Suggestion, 0, len(in))
	for _, s := range in {
		if s.Text == "" && s.Replace == nil {
			continue
		}
		dup := false
		for _, o := range out {
			if o.Text == s.Text && sameRange(o.Replace, s.Replace) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, s)
		}
		if len(out) == max {
			break
		}
	}
	return out
}

func sameRange(a, b *Range) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// mctx is the mock's view of one request.
type mctx struct {
	l                  *language
	code               string
	cur, cu            int // cursor in bytes and in UTF-16 units
	lineStart, lineEnd int
	prefix, suffix     string // the current line before and after the cursor
	indent             string // leading whitespace of the current line
	unit               string // one level of indentation
	winStart, winEnd   int
	word               string // identifier characters just before the cursor
	wordStart          int
	lx                 lexState
}

func newMctx(l *language, code string, cur, cu int) *mctx {
	c := &mctx{l: l, code: code, cur: cur, cu: cu}
	c.lineStart = strings.LastIndexByte(code[:cur], '\n') + 1
	c.lineEnd = len(code)
	if i := strings.IndexByte(code[cur:], '\n'); i >= 0 {
		c.lineEnd = cur + i
	}
	c.prefix, c.suffix = code[c.lineStart:cur], code[cur:c.lineEnd]
	c.indent = leadingSpace(code[c.lineStart:c.lineEnd])
	if len(c.indent) > len(c.prefix) {
		c.indent = c.prefix
	}
	c.winStart = max(0, cur-windowBefore)
	if c.winStart > 0 {
		if i := strings.IndexByte(code[c.winStart:c.lineStart], '\n'); i >= 0 {
			c.winStart += i + 1
		} else {
			c.winStart = c.lineStart
		}
	}
	c.winEnd = min(len(code), cur+windowAfter)
	c.wordStart = cur
	for c.wordStart > c.lineStart {
		r, size := utf8.DecodeLastRuneInString(code[c.lineStart:c.wordStart])
		if !isIdentRune(r, l) {
			break
		}
		c.wordStart -= size
	}
	c.word = code[c.wordStart:cur]
	c.unit = c.detectUnit()
	return c
}

func isIdentRune(r rune, l *language) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || (r == '$' && l.fam == famCLike)
}

func isIdentByte(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b >= utf8.RuneSelf
}

func leadingSpace(s string) string {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return s[:i]
}

// detectUnit finds the indentation step used near the cursor: the first
// increase of indentation between consecutive non-blank lines, looking back.
func (c *mctx) detectUnit() string {
	if c.l.fam == famGo {
		return "\t"
	}
	below := ""
	haveBelow := false
	pos := c.lineStart
	for n := 0; n < 200 && pos > c.winStart; n++ {
		start := strings.LastIndexByte(c.code[:pos-1], '\n') + 1
		line := c.code[start : pos-1]
		pos = start
		if strings.TrimSpace(line) == "" {
			continue
		}
		ind := leadingSpace(line)
		if haveBelow && len(below) > len(ind) && strings.HasPrefix(below, ind) {
			d := below[len(ind):]
			if d == "\t" || (strings.Trim(d, " ") == "" && len(d) <= 8) {
				return d
			}
		}
		below, haveBelow = ind, true
	}
	return c.l.unit
}

// lineAt returns the line containing offset i and where it starts.
func (c *mctx) lineAt(i int) (string, int) {
	start := strings.LastIndexByte(c.code[:i], '\n') + 1
	end := len(c.code)
	if j := strings.IndexByte(c.code[i:], '\n'); j >= 0 {
		end = i + j
	}
	return c.code[start:end], start
}

// prevLine returns the nearest non-blank line above the cursor's line.
func (c *mctx) prevLine() (string, bool) {
	pos := c.lineStart
	for pos > c.winStart {
		start := strings.LastIndexByte(c.code[:pos-1], '\n') + 1
		line := c.code[start : pos-1]
		if strings.TrimSpace(line) != "" {
			return line, true
		}
		pos = start
	}
	return "", false
}

// nextLine returns the nearest non-blank line below the cursor's line.
func (c *mctx) nextLine() (string, bool) {
	pos := c.lineEnd
	for pos < c.winEnd {
		start := pos + 1
		end := len(c.code)
		if j := strings.IndexByte(c.code[start:], '\n'); j >= 0 {
			end = start + j
		}
		line := c.code[start:end]
		if strings.TrimSpace(line) != "" {
			return line, true
		}
		pos = end
	}
	return "", false
}

// blockEmpty reports whether the block opened on a line indented by
// openerIndent has no content below the cursor yet.
func (c *mctx) blockEmpty(openerIndent string) bool {
	next, ok := c.nextLine()
	return !ok || len(leadingSpace(next)) <= len(openerIndent)
}

// blockClosed reports whether the block opened at openerIndent is closed (or
// continues) below the cursor.
func (c *mctx) blockClosed(openerIndent string, closer byte) bool {
	next, ok := c.nextLine()
	if !ok {
		return false
	}
	ind := leadingSpace(next)
	if len(ind) > len(openerIndent) {
		return true
	}
	t := strings.TrimSpace(next)
	return len(ind) == len(openerIndent) && t != "" && t[0] == closer
}

// render indents template lines: each leading '\t' is one unit on top of base.
func (c *mctx) render(base string, lines []string) string {
	var b strings.Builder
	for i, ln := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		lv := 0
		for lv < len(ln) && ln[lv] == '\t' {
			lv++
		}
		if ln[lv:] == "" {
			continue
		}
		b.WriteString(base)
		for range lv {
			b.WriteString(c.unit)
		}
		b.WriteString(ln[lv:])
	}
	return b.String()
}

// atEOL builds a suggestion that completes the rest of the line: it replaces
// whatever closers an editor auto-inserted after the cursor.
func (c *mctx) atEOL(text, label, kind string) Suggestion {
	s := Suggestion{Text: text, Label: label, Kind: kind}
	if c.suffix != "" {
		s.Replace = &Range{From: c.cu, To: c.cu + utf16Len(c.suffix)}
	}
	return s
}

// onNewLine builds a suggestion for an empty line: the text is written at
// indentation want, inserting only the missing part when the line already
// holds a prefix of it, else replacing the line's whitespace.
func (c *mctx) onNewLine(want, text, label, kind string) Suggestion {
	ws := c.prefix
	if strings.HasPrefix(want, ws) && strings.TrimSpace(c.suffix) == "" && c.suffix == "" {
		return Suggestion{Text: want[len(ws):] + text, Label: label, Kind: kind}
	}
	return Suggestion{
		Text: want + text, Label: label, Kind: kind,
		Replace: &Range{From: c.cu - utf16Len(ws), To: c.cu + utf16Len(c.suffix)},
	}
}

func onlyClosers(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ')', ']', '}', '"', '\'', '`', ';', ' ', '\t':
		default:
			return false
		}
	}
	return true
}

func (c *mctx) suggest() []Suggestion {
	// Middle of a word followed by more word: nothing.
	if c.cur < len(c.code) {
		r, _ := utf8.DecodeRuneInString(c.code[c.cur:])
		if isIdentRune(r, c.l) {
			return nil
		}
	}
	if c.l.fam == famNone {
		return c.identifiers(false)
	}
	c.lx = lex(c.l, c.code, c.winStart, c.cur)
	if c.lx.lineComment || c.lx.blockComment {
		return nil
	}
	if c.lx.quote != 0 {
		return c.inString()
	}
	if !onlyClosers(c.suffix) {
		return c.identifiers(false)
	}
	if strings.TrimSpace(c.prefix) == "" {
		return c.emptyLine()
	}
	snips, handled := c.lineSnippets()
	if handled {
		return snips
	}
	ids := c.identifiers(false)
	closing := c.closeLine()
	if c.word != "" && c.knownWord(c.word) {
		return append(append(snips, closing...), ids...)
	}
	return append(append(snips, ids...), closing...)
}

// inString completes words from the code inside a string, then offers to
// close the string and the brackets opened on the line.
func (c *mctx) inString() []Suggestion {
	if c.lx.quotePos < c.lineStart || !onlyClosers(c.suffix) {
		return nil
	}
	var out []Suggestion
	if utf8.RuneCountInString(c.word) >= 2 {
		out = c.identifiers(true)
	}
	return append(out, c.closeLine()...)
}

// knownWord reports whether w occurs in the window as a whole word other
// than the one being typed.
func (c *mctx) knownWord(w string) bool {
	n := 0
	c.eachIdent(func(tok string, pos int) bool {
		if tok == w && pos != c.wordStart {
			n++
			return false
		}
		return true
	})
	return n > 0
}

// eachIdent calls f for every identifier in the window with its offset;
// f returns false to stop.
func (c *mctx) eachIdent(f func(tok string, pos int) bool) {
	s := c.code
	for i := c.winStart; i < c.winEnd; {
		if !isIdentByte(s[i]) || (s[i] >= '0' && s[i] <= '9') {
			i++
			continue
		}
		j := i
		for j < c.winEnd && (isIdentByte(s[j]) || (s[j] == '$' && c.l.fam == famCLike)) {
			j++
		}
		if s[i] < utf8.RuneSelf || identStart(s[i:j]) {
			if !f(s[i:j], i) {
				return
			}
		}
		i = j
	}
}

func identStart(tok string) bool {
	r, _ := utf8.DecodeRuneInString(tok)
	return unicode.IsLetter(r)
}

type cand struct {
	name  string
	score float64
}

// identifiers completes the word before the cursor: names from the code
// (ranked by frequency and nearness), then keywords and builtins; after
// "x." or "x::" members of x seen in the code, then well-known members.
func (c *mctx) identifiers(codeOnly bool) []Suggestion {
	prefix := c.word
	if prefix != "" && prefix[0] >= '0' && prefix[0] <= '9' {
		return nil
	}
	recv, member := c.receiver()
	if !member && utf8.RuneCountInString(prefix) < 2 {
		return nil
	}
	if !member && isKeyword(c.l, prefix) && c.l.fam != famNone {
		return nil
	}
	scores := map[string]float64{}
	c.eachIdent(func(tok string, pos int) bool {
		if pos == c.wordStart || len(tok) <= len(prefix) || !strings.HasPrefix(tok, prefix) {
			return true
		}
		if member {
			r, ok := c.receiverAt(pos)
			if !ok || (recv != "" && r != recv) {
				return true
			}
		}
		d := pos - c.cur
		if d < 0 {
			d = -d
		}
		scores[tok] += 1 + 2048/float64(2048+d)
		return true
	})
	cands := make([]cand, 0, len(scores))
	for n, s := range scores {
		cands = append(cands, cand{n, s})
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].score != cands[j].score {
			return cands[i].score > cands[j].score
		}
		return cands[i].name < cands[j].name
	})
	kind := KindIdentifier
	if member {
		kind = KindMember
	}
	var out []Suggestion
	seen := map[string]bool{}
	add := func(name, text, k string) {
		if seen[name] || len(out) >= 8 {
			return
		}
		seen[name] = true
		out = append(out, Suggestion{Text: text, Label: name, Kind: k})
	}
	for _, cd := range cands {
		add(cd.name, cd.name[len(prefix):], kind)
	}
	if codeOnly || c.l.fam == famNone {
		return out
	}
	if member {
		list := c.l.members[recv]
		if len(list) == 0 && prefix != "" {
			list = c.l.members["*"]
		}
		for _, m := range list {
			if len(m) > len(prefix) && strings.HasPrefix(m, prefix) {
				add(m, m[len(prefix):], KindMember)
			}
		}
		return out
	}
	for _, k := range c.l.keywords {
		if len(k) > len(prefix) && strings.HasPrefix(k, prefix) {
			add(k, k[len(prefix):]+keywordTail(c.l, k), KindKeyword)
		}
	}
	for _, b := range c.l.builtins {
		if len(b) > len(prefix) && strings.HasPrefix(b, prefix) {
			add(b, b[len(prefix):], KindBuiltin)
		}
	}
	return out
}

// keywordTail is what naturally follows a keyword that ends its line.
func keywordTail(l *language, k string) string {
	if l.fam == famPython {
		switch k {
		case "else", "try", "finally":
			return ":"
		}
	}
	return ""
}

func isKeyword(l *language, w string) bool {
	for _, k := range l.keywords {
		if k == w {
			return true
		}
	}
	return false
}

// receiver reports whether the word at the cursor follows "." or "::" and
// names the receiver before it ("" when it is not a plain name).
func (c *mctx) receiver() (string, bool) {
	return c.receiverAt(c.wordStart)
}

func (c *mctx) receiverAt(pos int) (string, bool) {
	s := c.code
	var end int
	switch {
	case pos >= 1 && s[pos-1] == '.':
		end = pos - 1
	case pos >= 2 && s[pos-1] == ':' && s[pos-2] == ':' && (c.l.fam == famRust || c.l.name == "cpp"):
		end = pos - 2
	default:
		return "", false
	}
	start := end
	for start > 0 && isIdentByte(s[start-1]) {
		start--
	}
	return s[start:end], true
}

// closeLine closes the string and brackets opened on the current line,
// with the terminator the line's construct wants.
func (c *mctx) closeLine() []Suggestion {
	var open []opener
	for _, o := range c.lx.stack {
		if o.pos >= c.lineStart {
			open = append(open, o)
		}
	}
	inStr := c.lx.quote != 0 && c.lx.quotePos >= c.lineStart
	if !inStr && len(open) == 0 {
		return nil
	}
	if inStr && c.lx.triple {
		return nil
	}
	before := c.code[c.lineStart:c.cur]
	last := before[len(before)-1]
	if inStr {
		if c.cur-1 == c.lx.quotePos || last == '\\' {
			return nil
		}
	} else {
		if !(isIdentByte(last) || strings.IndexByte(")]}\"'`", last) >= 0) {
			return nil
		}
		switch lastWord(before) {
		case "and", "or", "not", "in", "is", "new", "return", "typeof", "await", "instanceof", "as", "if", "else":
			return nil
		}
	}
	var b strings.Builder
	if inStr {
		b.WriteByte(c.lx.quote)
		// Brackets opened inside the string are not code.
		var o2 []opener
		for _, o := range open {
			if o.pos < c.lx.quotePos {
				o2 = append(o2, o)
			}
		}
		open = o2
	}
	for i := len(open) - 1; i >= 0; i-- {
		b.WriteByte(closerOf(open[i].ch))
	}
	t := strings.TrimSpace(before)
	first := firstWord(t)
	switch c.l.fam {
	case famPython:
		switch first {
		case "if", "elif", "while", "for", "def", "class", "except":
			b.WriteByte(':')
		case "with":
			if !strings.Contains(t, " as ") && strings.HasPrefix(strings.TrimPrefix(t, "with "), "open(") {
				b.WriteString(" as f")
			}
			b.WriteByte(':')
		}
	case famCLike, famRust:
		if strings.HasPrefix(t, "#") || strings.HasPrefix(t, "@") {
			break
		}
		if (first == "if" || first == "while" || first == "for" || first == "switch" || first == "catch" ||
			strings.HasPrefix(t, "} else if") || strings.HasPrefix(t, "else if")) && len(open) > 0 {
			b.WriteString(" {")
		} else if len(open) == 0 || open[0].ch != '{' {
			b.WriteByte(';')
		}
	}
	return []Suggestion{c.atEOL(b.String(), strings.TrimSpace(b.String()), KindClose)}
}

func firstWord(t string) string {
	i := 0
	for i < len(t) && isIdentByte(t[i]) {
		i++
	}
	return t[:i]
}

func lastWord(t string) string {
	j := len(t)
	for j > 0 && isIdentByte(t[j-1]) {
		j--
	}
	return t[j:]
}

// emptyLine handles a cursor on a blank line: a body for the block opened on
// the line above, a closer for a block or bracket left open, Python's
// except after a try body, or nothing.
func (c *mctx) emptyLine() []Suggestion {
	prev, ok := c.prevLine()
	if !ok {
		return nil
	}
	pt := strings.TrimSpace(prev)
	pind := leadingSpace(prev)
	opener := c.l.fam == famPython && strings.HasSuffix(pt, ":") ||
		c.l.fam != famPython && strings.HasSuffix(pt, "{")
	if opener {
		header := strings.TrimSpace(pt[:len(pt)-1])
		body := c.blockBody(header, pind)
		if len(body) == 0 || !c.blockEmpty(pind) {
			return nil
		}
		text := c.render(pind+c.unit, body)[len(pind)+len(c.unit):]
		if c.l.fam != famPython && !c.blockClosed(pind, '}') {
			text += "\n" + pind + "}" + c.blockTerminator(prev)
		}
		return []Suggestion{c.onNewLine(pind+c.unit, text, firstLine(body), KindSnippet)}
	}
	if n := len(c.lx.stack); n > 0 {
		if s := c.closeBlock(pt); s != nil {
			return s
		}
	}
	if c.l.fam == famPython {
		return c.pythonDedent()
	}
	return nil
}

func firstLine(lines []string) string { return strings.TrimLeft(lines[0], "\t") }

// closeBlock offers the closer of the innermost bracket or block left open
// on an earlier line, at that line's indentation.
func (c *mctx) closeBlock(prevTrim string) []Suggestion {
	inner := c.lx.stack[len(c.lx.stack)-1]
	if inner.pos >= c.lineStart {
		return nil
	}
	if last := prevTrim[len(prevTrim)-1]; last == '(' || last == '[' || last == '{' || strings.IndexByte("=+-*/&|<>.?:", last) >= 0 && last != ':' {
		return nil
	}
	oline, ostart := c.lineAt(inner.pos)
	oind := leadingSpace(oline)
	if c.blockClosed(oind, closerOf(inner.ch)) {
		return nil
	}
	var b strings.Builder
	for i := len(c.lx.stack) - 1; i >= 0 && c.lx.stack[i].pos >= ostart; i-- {
		b.WriteByte(closerOf(c.lx.stack[i].ch))
	}
	b.WriteString(c.blockTerminator(oline))
	return []Suggestion{c.onNewLine(oind, b.String(), strings.TrimSpace(b.String()), KindClose)}
}

// blockTerminator is what follows the closer of a block opened on line.
func (c *mctx) blockTerminator(line string) string {
	if !c.l.semis || c.l.fam == famRust && !strings.Contains(line, "=") {
		return ""
	}
	t := strings.TrimSpace(line)
	first := firstWord(t)
	if (c.l.name == "c" || c.l.name == "cpp") && (first == "struct" || first == "class" || first == "enum" || first == "union" || first == "typedef") {
		return ";"
	}
	if first == "return" || strings.Contains(t, "(") && strings.Count(t, "(") > strings.Count(t, ")") {
		return ";"
	}
	if i := strings.IndexAny(t, "{(["); i > 0 && strings.Contains(t[:i], "=") && !strings.Contains(t[:i], "=>") {
		return ";"
	}
	return ""
}
