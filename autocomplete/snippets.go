package autocomplete

import (
	"regexp"
	"strings"
)

// param is one parameter of a function header.
type param struct{ name, typ string }

// funcHeader is a parsed function header.
type funcHeader struct {
	name    string
	params  []param
	hasRet  bool // a result type is already written
	arrow   bool // a JavaScript arrow function "const f = (...)"
	inClass bool
}

var (
	rePyDef    = regexp.MustCompile(`^(?:async\s+)?def\s+(\w+)\s*\((.*)\)\s*(->.*)?$`)
	reJSFunc   = regexp.MustCompile(`^(?:export\s+)?(?:default\s+)?(?:async\s+)?function\*?\s*(\w*)\s*(?:<[^>]*>)?\((.*)\)\s*(:.*)?$`)
	reJSArrow  = regexp.MustCompile(`^(?:export\s+)?(?:const|let|var)\s+(\w+)\s*(?::[^=]+)?=\s*(?:async\s+)?\((.*)\)\s*(:[^=]*)?(=>)?$`)
	reGoFunc   = regexp.MustCompile(`^func\s+(?:\([^)]*\)\s*)?(\w+)\s*\((.*?)\)\s*(.*)$`)
	reRustFn   = regexp.MustCompile(`^(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?fn\s+(\w+)\s*(?:<[^>]*>)?\s*\((.*)\)\s*(->.*)?$`)
	reCFunc    = regexp.MustCompile(`^(?:(?:public|private|protected|static|final|abstract|synchronized|inline|virtual|extern|unsigned|const|struct)\s+)*([\w:<>,\[\]]+[\s\*&]+)(\w+)\s*\((.*)\)\s*(?:const\s*)?(?:throws\s+[\w\s,.]+)?$`)
	reJSMethod = regexp.MustCompile(`^(?:(?:public|private|protected|static|async|get|set)\s+)*(\w+)\s*\((.*)\)\s*(:.*)?$`)
)

var notFuncNames = map[string]bool{"if": true, "for": true, "while": true, "switch": true, "catch": true,
	"return": true, "new": true, "else": true, "function": true, "sizeof": true, "do": true, "throw": true}

// parseFunc recognises a complete function header (up to its closing ")"
// and optional result type, without the block opener).
func (c *mctx) parseFunc(h string) (funcHeader, bool) {
	var fh funcHeader
	var ps string
	switch c.l.fam {
	case famPython:
		m := rePyDef.FindStringSubmatch(h)
		if m == nil {
			return fh, false
		}
		fh.name, ps, fh.hasRet = m[1], m[2], m[3] != ""
		fh.inClass = c.inPythonClass()
	case famGo:
		m := reGoFunc.FindStringSubmatch(h)
		if m == nil {
			return fh, false
		}
		fh.name, ps, fh.hasRet = m[1], m[2], strings.TrimSpace(m[3]) != ""
	case famRust:
		m := reRustFn.FindStringSubmatch(h)
		if m == nil {
			return fh, false
		}
		fh.name, ps, fh.hasRet = m[1], m[2], m[3] != ""
	case famCLike:
		if c.l.name == "javascript" || c.l.name == "typescript" {
			if m := reJSFunc.FindStringSubmatch(h); m != nil {
				fh.name, ps, fh.hasRet = m[1], m[2], m[3] != ""
			} else if m := reJSArrow.FindStringSubmatch(h); m != nil {
				fh.name, ps, fh.hasRet, fh.arrow = m[1], m[2], m[3] != "", true
			} else if m := reJSMethod.FindStringSubmatch(h); m != nil && c.indent != "" && !notFuncNames[m[1]] {
				fh.name, ps, fh.hasRet, fh.inClass = m[1], m[2], m[3] != "", true
			} else {
				return fh, false
			}
		} else {
			m := reCFunc.FindStringSubmatch(h)
			if m == nil || notFuncNames[m[2]] || notFuncNames[strings.TrimSpace(m[1])] || strings.Contains(h, "=") {
				return fh, false
			}
			fh.name, ps, fh.hasRet = m[2], m[3], true
		}
	default:
		return fh, false
	}
	fh.params = c.parseParams(ps)
	return fh, true
}

func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '[', '{', '<':
			depth++
		case ')', ']', '}', '>':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func (c *mctx) parseParams(s string) []param {
	var ps []param
	if strings.TrimSpace(s) == "" {
		return nil
	}
	for _, p := range splitTop(s) {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		var pr param
		switch c.l.fam {
		case famPython, famRust:
			name, typ, _ := strings.Cut(p, ":")
			name, _, _ = strings.Cut(name, "=")
			pr = param{strings.Trim(strings.TrimSpace(name), "*&"), strings.TrimSpace(typ)}
			pr.name = strings.TrimPrefix(pr.name, "mut ")
			if pr.name == "self" || pr.name == "mut self" || pr.name == "cls" && c.l.fam == famPython {
				continue
			}
		case famGo:
			f := strings.Fields(p)
			pr.name = f[0]
			if len(f) > 1 {
				pr.typ = strings.Join(f[1:], " ")
			}
		default:
			if c.l.name == "javascript" || c.l.name == "typescript" {
				name, typ, _ := strings.Cut(p, ":")
				name, _, _ = strings.Cut(name, "=")
				name = strings.TrimSpace(strings.TrimPrefix(name, "..."))
				name = strings.TrimSuffix(name, "?")
				pr = param{name, strings.TrimSpace(typ)}
				break
			}
			p = strings.TrimSuffix(strings.TrimSpace(p), "[]")
			i := len(p)
			for i > 0 && isIdentByte(p[i-1]) {
				i--
			}
			pr = param{p[i:], strings.TrimSpace(p[:i])}
		}
		ps = append(ps, pr)
	}
	if c.l.fam == famGo { // "a, b int": names take the type that follows
		typ := ""
		for i := len(ps) - 1; i >= 0; i-- {
			if ps[i].typ != "" {
				typ = ps[i].typ
			} else {
				ps[i].typ = typ
			}
		}
	}
	return ps
}

// inPythonClass reports whether the cursor's line sits directly in a class body.
func (c *mctx) inPythonClass() bool {
	ind := len(c.indent)
	pos := c.lineStart
	for pos > c.winStart {
		start := strings.LastIndexByte(c.code[:pos-1], '\n') + 1
		line := c.code[start : pos-1]
		pos = start
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		if li := len(leadingSpace(line)); li < ind {
			return strings.HasPrefix(t, "class ")
		}
	}
	return false
}

// headerRest finishes a function header: result type, block opener and the
// body when the mock knows one. open is false when the cursor is already
// past the block opener on the same line.
func (c *mctx) headerRest(fh funcHeader) string {
	lines, result := knownBody(c.l, fh)
	if c.l.fam == famPython {
		if lines == nil {
			lines = []string{"pass"}
		}
		return ":\n" + c.render(c.indent+c.unit, lines)
	}
	ret := ""
	if !fh.hasRet && result != "" {
		typ := ""
		if len(fh.params) > 0 {
			typ = fh.params[0].typ
		}
		switch result {
		case "bool":
			typ = map[famKey]string{{famGo, ""}: "bool", {famRust, ""}: "bool", {famCLike, "typescript"}: "boolean"}[fk(c.l)]
		case "str":
			typ = map[famKey]string{{famGo, ""}: "string", {famRust, ""}: "String", {famCLike, "typescript"}: "string"}[fk(c.l)]
		}
		if typ != "" {
			switch {
			case c.l.fam == famGo:
				ret = " " + typ
			case c.l.fam == famRust:
				ret = " -> " + typ
			case c.l.name == "typescript":
				ret = ": " + typ
			}
		}
	}
	if fh.arrow {
		if len(lines) == 1 && strings.HasPrefix(lines[0], "return ") {
			return ret + " => " + strings.TrimPrefix(lines[0], "return ")
		}
		if lines == nil {
			return ret + " => {"
		}
		return ret + " => {\n" + c.render(c.indent+c.unit, lines) + "\n" + c.indent + "};"
	}
	if lines == nil {
		return ret + " {"
	}
	return ret + " {\n" + c.render(c.indent+c.unit, lines) + "\n" + c.indent + "}"
}

type famKey struct {
	f    family
	name string
}

func fk(l *language) famKey {
	if l.name == "typescript" {
		return famKey{famCLike, "typescript"}
	}
	if l.fam == famCLike {
		return famKey{famCLike, l.name}
	}
	return famKey{l.fam, ""}
}

// joinSpace drops a leading space from text when the line already ends in one.
func (c *mctx) joinSpace(text string) string {
	if strings.HasSuffix(c.prefix, " ") {
		return strings.TrimPrefix(text, " ")
	}
	return text
}

// lineSnippets completes the construct begun on the current line. handled
// means the line was recognised and nothing generic should be added.
func (c *mctx) lineSnippets() ([]Suggestion, bool) {
	lt := strings.TrimLeft(c.prefix, " \t")
	t := strings.TrimRight(lt, " \t")
	var onLine []opener
	for _, o := range c.lx.stack {
		if o.pos >= c.lineStart {
			onLine = append(onLine, o)
		}
	}
	last := t[len(t)-1]
	// A function header with its parameter list open or just closed.
	if len(onLine) == 1 && onLine[0].ch == '(' && last != ',' {
		if fh, ok := c.parseFunc(t + ")"); ok {
			pre := ""
			if last == '(' {
				switch {
				case c.l.fam == famPython && fh.inClass:
					pre = "self"
				case c.l.name == "java" && fh.name == "main":
					pre = "String[] args"
				case c.l.name == "c" && fh.name == "main":
					pre = "void"
				}
			}
			rest := pre + ")" + c.headerRest(fh)
			return []Suggestion{c.atEOL(rest, fh.name, KindSnippet)}, true
		}
	}
	if len(onLine) == 0 && last == ')' || c.l.fam == famGo && len(onLine) == 0 && strings.HasPrefix(t, "func ") {
		if fh, ok := c.parseFunc(t); ok {
			return []Suggestion{c.atEOL(c.joinSpace(c.headerRest(fh)), fh.name, KindSnippet)}, true
		}
	}
	var out []Suggestion
	// Loops from templates whose beginning matches the line.
	if strings.HasPrefix(t, "for") && len(lt) >= 4 {
		for _, tp := range c.loopTemplates() {
			full := tp.header + c.blockOpen()
			if len(lt) < len(full) && strings.HasPrefix(full, lt) {
				out = append(out, c.atEOL(full[len(lt):]+c.blockTail(c.loopBody(tp.v)), tp.header, KindSnippet))
			}
		}
		if s := c.pythonForIn(lt); s != nil {
			out = append(out, *s)
		}
		if len(out) > 0 {
			return out, true
		}
	}
	if s := c.langSnippets(lt, t); len(s) > 0 {
		return s, true
	}
	// Cursor right after a block opener on the same line: the body.
	if len(onLine) == 1 && onLine[0].ch == '{' && last == '{' && c.l.fam != famPython {
		header := strings.TrimSpace(t[:len(t)-1])
		if body := c.blockBody(header, c.indent); body != nil {
			text := "\n" + c.render(c.indent+c.unit, body) + "\n" + c.indent + "}"
			return []Suggestion{c.atEOL(text, firstLine(body), KindSnippet)}, true
		}
	}
	// A Python block header already ending in ':' with the cursor after it.
	if c.l.fam == famPython && last == ':' && len(onLine) == 0 && c.blockEmpty(c.indent) {
		if body := c.blockBody(strings.TrimSpace(t[:len(t)-1]), c.indent); body != nil && body[0] != "pass" {
			return []Suggestion{c.atEOL("\n"+c.render(c.indent+c.unit, body), firstLine(body), KindSnippet)}, true
		}
		return nil, true
	}
	// A complete control line without its opener.
	if len(onLine) == 0 && (isIdentByte(last) || strings.IndexByte(")]\"'", last) >= 0) {
		first := firstWord(t)
		switch {
		case c.l.fam == famPython && (first == "if" || first == "elif" || first == "while" || first == "class" || first == "with") && t != first:
			switch lastWord(t) {
			case "and", "or", "not", "in", "is":
				return nil, false
			}
			return []Suggestion{c.atEOL(":", ":", KindClose)}, true
		case c.l.fam == famCLike && (first == "if" || first == "while" || first == "switch" || strings.HasPrefix(t, "} else if")) && last == ')':
			return []Suggestion{c.atEOL(c.joinSpace(" {"), "{", KindClose)}, true
		}
	}
	return nil, false
}

func (c *mctx) blockOpen() string {
	if c.l.fam == famPython {
		return ":"
	}
	return " {"
}

// blockTail renders a body after a block opener on the cursor's line and,
// outside Python, the closing brace.
func (c *mctx) blockTail(body []string) string {
	if body == nil {
		return ""
	}
	s := "\n" + c.render(c.indent+c.unit, body)
	if c.l.fam != famPython {
		s += "\n" + c.indent + "}"
	}
	return s
}

// pythonDedent offers except after a try body, at the try's indentation.
func (c *mctx) pythonDedent() []Suggestion {
	ws := c.prefix
	pos := c.lineStart
	deeper := false
	for pos > c.winStart {
		start := strings.LastIndexByte(c.code[:pos-1], '\n') + 1
		line := c.code[start : pos-1]
		pos = start
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		ind := leadingSpace(line)
		if len(ind) > len(ws) {
			deeper = true
			continue
		}
		if ind == ws && t == "try:" && deeper {
			return []Suggestion{c.onNewLine(ws, "except Exception as e:\n"+ws+c.unit+"print(e)", "except Exception as e:", KindSnippet)}
		}
		return nil
	}
	return nil
}
