package autocomplete

import (
	"regexp"
	"strings"
)

// loopTpl is a loop header the mock can propose and what its body prints.
type loopTpl struct {
	header string
	v      string // expression the suggested body prints
	idx    bool   // v is an integer index
}

// plural finds the nearest collection-looking name before the cursor
// ("items", "users", "entries") and its singular ("item", "user", "entry").
func (c *mctx) plural() (coll, item string) {
	c.eachIdent(func(tok string, pos int) bool {
		if pos >= c.wordStart {
			return false
		}
		if s := singular(tok); s != "" && !isKeyword(c.l, tok) && !isKeyword(c.l, s) && (pos == 0 || c.code[pos-1] != '.') {
			end := pos + len(tok)
			if end >= len(c.code) || c.code[end] != '(' {
				coll, item = tok, s
			}
		}
		return true
	})
	return coll, item
}

func singular(w string) string {
	if len(w) < 4 || w[len(w)-1] != 's' || w[0] < 'a' || w[0] > 'z' {
		return ""
	}
	for _, bad := range []string{"ss", "us", "is", "ous", "ics"} {
		if strings.HasSuffix(w, bad) {
			return ""
		}
	}
	switch {
	case strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "ches"), strings.HasSuffix(w, "shes"), strings.HasSuffix(w, "xes"):
		return w[:len(w)-2]
	}
	return w[:len(w)-1]
}

// pluralOf finds a name in the code that is the plural of item.
func (c *mctx) pluralOf(item string) string {
	for _, p := range []string{item + "s", item + "es", strings.TrimSuffix(item, "y") + "ies"} {
		if c.knownWord(p) {
			return p
		}
	}
	return ""
}

func (c *mctx) countVar() string {
	for _, n := range []string{"n", "count", "size", "length", "len"} {
		if c.knownWord(n) && !(c.l.fam == famGo && n == "len") {
			return n
		}
	}
	return "10"
}

func (c *mctx) loopTemplates() []loopTpl {
	coll, item := c.plural()
	n := c.countVar()
	at := "i"
	if coll != "" {
		at = coll + "[i]"
	}
	var ts []loopTpl
	switch c.l.name {
	case "python":
		if coll != "" {
			ts = append(ts, loopTpl{"for " + item + " in " + coll, item, false})
			n = "len(" + coll + ")"
		}
		ts = append(ts, loopTpl{"for i in range(" + n + ")", at, coll == ""})
	case "javascript", "typescript":
		if coll != "" {
			ts = append(ts, loopTpl{"for (const " + item + " of " + coll + ")", item, false})
			n = coll + ".length"
		}
		ts = append(ts, loopTpl{"for (let i = 0; i < " + n + "; i++)", at, coll == ""})
	case "java":
		if coll != "" {
			ts = append(ts, loopTpl{"for (var " + item + " : " + coll + ")", item, false})
			n = coll + ".length"
			if regexp.MustCompile(`(List|Set|Collection)<[^>]*>\s+` + coll + `\b`).MatchString(c.code[c.winStart:c.cur]) {
				n = coll + ".size()"
			}
		}
		ts = append(ts, loopTpl{"for (int i = 0; i < " + n + "; i++)", at, coll == ""})
	case "c":
		ts = append(ts, loopTpl{"for (int i = 0; i < " + n + "; i++)", at, coll == ""})
	case "cpp":
		if coll != "" {
			ts = append(ts, loopTpl{"for (const auto& " + item + " : " + coll + ")", item, false})
			n = coll + ".size()"
		}
		ts = append(ts, loopTpl{"for (int i = 0; i < " + n + "; i++)", at, coll == ""})
	case "go":
		if coll != "" {
			ts = append(ts, loopTpl{"for _, " + item + " := range " + coll, item, false})
			n = "len(" + coll + ")"
		}
		ts = append(ts, loopTpl{"for i := 0; i < " + n + "; i++", at, coll == ""})
	case "rust":
		if coll != "" {
			ts = append(ts, loopTpl{"for " + item + " in &" + coll, item, false})
			n = coll + ".len()"
		}
		ts = append(ts, loopTpl{"for i in 0.." + n, at, coll == ""})
	}
	return ts
}

// loopBody is the one-line body a loop over v gets: print it.
func (c *mctx) loopBody(v string) []string {
	switch c.l.name {
	case "python":
		return []string{"print(" + v + ")"}
	case "javascript", "typescript":
		return []string{"console.log(" + v + ");"}
	case "java":
		return []string{"System.out.println(" + v + ");"}
	case "c":
		return []string{`printf("%d\n", ` + v + `);`}
	case "cpp":
		return []string{"std::cout << " + v + " << std::endl;"}
	case "go":
		return []string{"fmt.Println(" + v + ")"}
	case "rust":
		if v == "i" || strings.HasSuffix(v, "[i]") {
			return []string{`println!("{}", ` + v + `);`}
		}
		return []string{`println!("{:?}", ` + v + `);`}
	}
	return nil
}

var (
	reForInPy   = regexp.MustCompile(`^for\s+(\w+)(?:\s*,\s*(\w+))?\s+(in\s+)?$`)
	reForOfJS   = regexp.MustCompile(`^for\s*\(\s*(?:const|let|var)\s+(\w+)\s+of\s+$`)
	reForRangeG = regexp.MustCompile(`^for\s+\w+\s*,\s*(\w+)\s*:=\s*range\s+$`)
	reForColonJ = regexp.MustCompile(`^for\s*\(\s*(?:final\s+)?(?:const\s+)?[\w<>\[\]&]+\s*&?\s*(\w+)\s*:\s*$`)
	reDictVar   = regexp.MustCompile(`(\w+)\s*=\s*(?:\{|dict\()`)
)

var indexNames = map[string]bool{"i": true, "j": true, "k": true, "idx": true, "index": true, "n": true}

// pythonForIn completes "for x in " (and the JS, Go, Java, C++ and Rust
// spellings of a for-each) with the collection whose name is x's plural,
// or a range for index-like names.
func (c *mctx) pythonForIn(lt string) *Suggestion {
	var v, coll, rest string
	switch c.l.name {
	case "python", "rust":
		m := reForInPy.FindStringSubmatch(lt)
		if m == nil {
			return nil
		}
		in := m[3] == ""
		lead := ""
		if in {
			lead = "in "
		}
		if m[2] != "" { // for a, b in
			if c.l.name != "python" || !in && false {
				return nil
			}
			if indexNames[m[1]] {
				if p := c.pluralOf(m[2]); p != "" {
					return ptr(c.atEOL(lead+"enumerate("+p+"):", "enumerate("+p+")", KindSnippet))
				}
				return nil
			}
			if d := reDictVar.FindAllStringSubmatch(c.code[c.winStart:c.cur], -1); d != nil {
				dv := d[len(d)-1][1]
				return ptr(c.atEOL(lead+dv+".items():", dv+".items()", KindSnippet))
			}
			return nil
		}
		v = m[1]
		coll = c.pluralOf(v)
		if coll == "" {
			if !indexNames[v] {
				return nil
			}
			n := c.countVar()
			if p, _ := c.plural(); p != "" {
				n = "len(" + p + ")"
				if c.l.name == "rust" {
					n = p + ".len()"
				}
			}
			if c.l.name == "python" {
				coll = "range(" + n + ")"
			} else {
				coll = "0.." + n
			}
		} else if c.l.name == "rust" {
			coll = "&" + coll
		}
		if c.l.name == "python" {
			return ptr(c.atEOL(lead+coll+":", coll, KindSnippet))
		}
		rest = lead + coll + " {"
	case "javascript", "typescript":
		m := reForOfJS.FindStringSubmatch(lt)
		if m == nil {
			return nil
		}
		v, coll = m[1], c.pluralOf(m[1])
		rest = coll + ") {"
	case "go":
		m := reForRangeG.FindStringSubmatch(lt)
		if m == nil {
			return nil
		}
		v, coll = m[1], c.pluralOf(m[1])
		rest = coll + " {"
	case "java", "cpp":
		m := reForColonJ.FindStringSubmatch(lt)
		if m == nil {
			return nil
		}
		v, coll = m[1], c.pluralOf(m[1])
		rest = c.joinSpace(" "+coll) + ") {"
	default:
		return nil
	}
	if coll == "" {
		return nil
	}
	return ptr(c.atEOL(rest+c.blockTail(c.loopBody(v)), coll, KindSnippet))
}

func ptr(s Suggestion) *Suggestion { return &s }

var (
	reLoopVar = []*regexp.Regexp{
		regexp.MustCompile(`^for\s+(\w+)\s+in\s+range\(`),                                      // python index
		regexp.MustCompile(`^for\s+(\w+)\s+in\s+\d+\s*\.\.`),                                   // rust range
		regexp.MustCompile(`^for\s+(?:\w+\s*,\s*)?(\w+)\s+in\s+`),                              // python, rust
		regexp.MustCompile(`^for\s*\(\s*(?:const|let|var)\s+(\w+)\s+(?:of|in)\s+`),             // js
		regexp.MustCompile(`^for\s+\w+\s*,\s*(\w+)\s*:=\s*range\s+`),                           // go
		regexp.MustCompile(`^for\s*\((?:final\s+)?(?:const\s+)?[\w<>\[\]&]+\s*&?\s*(\w+)\s*:`), // java, c++
	}
	reIndexLoop = regexp.MustCompile(`^for\s*\(?\s*(?:let\s+|var\s+|int\s+|size_t\s+|auto\s+)?(\w+)\s*:?=\s*0\s*;\s*\w+\s*<\s*(?:len\()?(\w+)`)
)

// loopVar reads the variable a loop header iterates with and what its body
// should print.
func (c *mctx) loopVar(h string) (string, bool) {
	if m := reIndexLoop.FindStringSubmatch(h); m != nil {
		if singular(m[2]) != "" {
			return m[2] + "[" + m[1] + "]", true
		}
		return m[1], true
	}
	for i, re := range reLoopVar {
		if m := re.FindStringSubmatch(h); m != nil {
			if i == 0 && c.l.fam != famPython || i == 1 && c.l.fam != famRust {
				continue
			}
			return m[1], true
		}
	}
	return "", false
}

var (
	reGoStruct   = regexp.MustCompile(`(?m)^type\s+(\w+)\s+struct\b`)
	reRustStruct = regexp.MustCompile(`(?m)^\s*(?:pub\s+)?struct\s+(\w+)`)
	reGoCloser   = regexp.MustCompile(`(\w+)(?:,\s*\w+)?\s*:?=\s*(os\.Open|os\.Create|os\.OpenFile|http\.Get|http\.Post|sql\.Open|net\.Dial|\w+\.Begin|\w+\.Lock\(\)|\w+\.RLock\(\))`)
	reLockCall   = regexp.MustCompile(`(\w+(?:\.\w+)?)\.(R?Lock)\(\)`)
	reExceptType = regexp.MustCompile(`^except\s+[\w.]+$`)
	rePyClass    = regexp.MustCompile(`^class\s+\w+(\(.*\))?$`)
	reForEach    = regexp.MustCompile(`(\w+)\.forEach\($`)
	reCatchJS    = regexp.MustCompile(`catch\s*\((\w+)`)
	reCatchJava  = regexp.MustCompile(`catch\s*\([\w.| ]+\s(\w+)\)`)
	reCatchCpp   = regexp.MustCompile(`catch\s*\(.*exception&\s*(\w+)\)`)
	reInclude    = regexp.MustCompile(`^#\s*include\s*(<)?$`)
)

// langSnippets holds the per-language constructs recognised from the text
// typed so far on the line.
func (c *mctx) langSnippets(lt, t string) []Suggestion {
	win := c.code[c.winStart:c.cur]
	switch c.l.name {
	case "python":
		if full := `if __name__ == "__main__":`; len(lt) >= 5 && len(lt) < len(full) && strings.HasPrefix(full, lt) {
			return []Suggestion{c.atEOL(full[len(lt):]+"\n"+c.render(c.indent+c.unit, []string{"main()"}), full, KindSnippet)}
		}
		switch {
		case t == "except":
			return []Suggestion{c.atEOL(c.joinSpace(" Exception as e:"), "except Exception as e:", KindSnippet)}
		case reExceptType.MatchString(t) && lt == t:
			return []Suggestion{c.atEOL(" as e:", "as e", KindSnippet)}
		case t == "else" || t == "try" || t == "finally":
			if lt == t {
				return []Suggestion{c.atEOL(":", t+":", KindSnippet)}
			}
		case rePyClass.MatchString(t) && lt == t:
			return []Suggestion{c.atEOL(":", ":", KindSnippet)}
		}
	case "javascript", "typescript", "java", "cpp":
		catch := map[string][2]string{
			"javascript": {"(error)", "console.error(error);"},
			"typescript": {"(error)", "console.error(error);"},
			"java":       {"(Exception e)", "e.printStackTrace();"},
			"cpp":        {"(const std::exception& e)", "std::cerr << e.what() << std::endl;"},
		}[c.l.name]
		catchBlock := "} catch " + catch[0] + " {\n" + c.render(c.indent+c.unit, []string{catch[1]}) + "\n" + c.indent + "}"
		switch t {
		case "try", "try {":
			open := " {"
			if t == "try {" {
				open = ""
			}
			return []Suggestion{c.atEOL(c.joinSpace(open)+"\n"+c.indent+c.unit+"\n"+c.indent+catchBlock, "try { } catch", KindSnippet)}
		case "} catch", "}catch":
			return []Suggestion{c.atEOL(c.joinSpace(" "+catch[0]+" {")+"\n"+c.render(c.indent+c.unit, []string{catch[1]})+"\n"+c.indent+"}", "catch", KindSnippet)}
		}
		if c.l.name == "cpp" {
			if s := c.include(lt, []string{"iostream", "vector", "string", "algorithm", "map"}); s != nil {
				return s
			}
			if t == "using namespace" {
				return []Suggestion{c.atEOL(c.joinSpace(" std;"), "std", KindSnippet)}
			}
		}
		if c.l.name == "javascript" || c.l.name == "typescript" {
			if m := reForEach.FindStringSubmatch(t); m != nil {
				item := singular(m[1])
				if item == "" {
					item = "item"
				}
				body := c.render(c.indent+c.unit, c.loopBody(item))
				return []Suggestion{c.atEOL("("+item+") => {\n"+body+"\n"+c.indent+"});", "forEach", KindSnippet)}
			}
		}
	case "c":
		return c.include(lt, []string{"stdio.h", "stdlib.h", "string.h", "stdbool.h", "math.h"})
	case "go":
		if full := "if err != nil {"; len(lt) >= 6 && len(lt) <= len(full) && strings.HasPrefix(full, lt) {
			plain, wrapped := c.goErrReturn()
			var out []Suggestion
			for _, r := range []string{plain, wrapped} {
				if r != "" {
					out = append(out, c.atEOL(full[len(lt):]+"\n"+c.indent+"\t"+r+"\n"+c.indent+"}", r, KindSnippet))
				}
			}
			return out
		}
		if t == "func (" || t == "func(" && lt == t {
			if m := reGoStruct.FindAllStringSubmatch(win, -1); m != nil && c.indent == "" {
				typ := m[len(m)-1][1]
				r := strings.ToLower(typ[:1])
				return []Suggestion{c.atEOL(r+" *"+typ+") ", r+" *"+typ, KindSnippet)}
			}
		}
		if t == "defer" {
			return c.goDefer(win)
		}
		if t == "package" && strings.Contains(c.code[c.winStart:c.winEnd], "func main()") {
			return []Suggestion{c.atEOL(c.joinSpace(" main"), "main", KindSnippet)}
		}
	case "rust":
		switch {
		case t == "#[derive(" || t == "#[derive":
			open := "("
			if strings.HasSuffix(t, "(") {
				open = ""
			}
			return []Suggestion{c.atEOL(open+"Debug, Clone, PartialEq)]", "Debug, Clone, PartialEq", KindSnippet)}
		case t == "use std::" || t == "use std":
			return []Suggestion{c.atEOL(strings.Repeat(":", 2-strings.Count(lt[len("use std"):], ":"))+"collections::HashMap;", "std::collections::HashMap", KindSnippet)}
		case t == "impl":
			if m := reRustStruct.FindAllStringSubmatch(win, -1); m != nil {
				typ := m[len(m)-1][1]
				return []Suggestion{c.atEOL(c.joinSpace(" "+typ+" {"), typ, KindSnippet)}
			}
		}
	}
	return nil
}

func (c *mctx) include(lt string, headers []string) []Suggestion {
	m := reInclude.FindStringSubmatch(strings.TrimRight(lt, " "))
	if m == nil {
		return nil
	}
	win := c.code[c.winStart:c.winEnd]
	for _, h := range headers {
		if strings.Contains(win, "<"+h+">") {
			continue
		}
		text := h + ">"
		if m[1] == "" {
			text = c.joinSpace(" <" + text)
		}
		return []Suggestion{c.atEOL(text, "<"+h+">", KindSnippet)}
	}
	return nil
}

// goDefer offers to release the resource acquired most recently.
func (c *mctx) goDefer(win string) []Suggestion {
	best, text := -1, ""
	for _, m := range reGoCloser.FindAllStringSubmatchIndex(win, -1) {
		v, call := win[m[2]:m[3]], win[m[4]:m[5]]
		s := v + ".Close()"
		switch {
		case strings.HasPrefix(call, "http."):
			s = v + ".Body.Close()"
		case strings.HasSuffix(call, ".Begin"):
			s = v + ".Rollback()"
		}
		if m[0] > best {
			best, text = m[0], s
		}
	}
	for _, m := range reLockCall.FindAllStringSubmatchIndex(win, -1) {
		if m[0] > best {
			best, text = m[0], win[m[2]:m[3]]+"."+strings.Replace(win[m[4]:m[5]], "Lock", "Unlock", 1)+"()"
		}
	}
	if text == "" {
		return nil
	}
	return []Suggestion{c.atEOL(c.joinSpace(" "+text), text, KindSnippet)}
}

// goErrReturn spells the return statement for "if err != nil" from the
// results of the enclosing function: zero values, then err (and a second
// form wrapping err with the function's name).
func (c *mctx) goErrReturn() (plain, wrapped string) {
	pos := c.lineStart
	for pos > c.winStart {
		start := strings.LastIndexByte(c.code[:pos-1], '\n') + 1
		line := c.code[start : pos-1]
		pos = start
		if !strings.HasPrefix(line, "func ") {
			continue
		}
		m := reGoFunc.FindStringSubmatch(strings.TrimSuffix(strings.TrimSpace(line), "{"))
		if m == nil {
			break
		}
		res := strings.TrimSpace(m[3])
		if res == "" {
			if m[1] == "main" {
				return "log.Fatal(err)", ""
			}
			return "return", ""
		}
		res = strings.TrimSuffix(strings.TrimPrefix(res, "("), ")")
		parts := splitTop(res)
		vals := make([]string, len(parts))
		for i, p := range parts {
			f := strings.Fields(p)
			if len(f) == 0 {
				return "", ""
			}
			vals[i] = c.goZero(f[len(f)-1])
		}
		if vals[len(vals)-1] != "err" {
			return "", ""
		}
		plain = "return " + strings.Join(vals, ", ")
		vals[len(vals)-1] = `fmt.Errorf("` + m[1] + `: %w", err)`
		return plain, "return " + strings.Join(vals, ", ")
	}
	return "return err", ""
}

func (c *mctx) goZero(t string) string {
	switch {
	case t == "error":
		return "err"
	case t == "bool":
		return "false"
	case t == "string":
		return `""`
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint") || strings.HasPrefix(t, "float") ||
		strings.HasPrefix(t, "complex") || t == "byte" || t == "rune" || t == "time.Duration":
		return "0"
	case strings.HasPrefix(t, "*") || strings.HasPrefix(t, "[]") || strings.HasPrefix(t, "map[") ||
		strings.HasPrefix(t, "chan") || strings.HasPrefix(t, "func") || t == "any" || strings.HasPrefix(t, "interface"):
		return "nil"
	case strings.Contains(t, "."):
		switch t {
		case "context.Context", "io.Reader", "io.Writer", "io.ReadCloser", "http.Handler", "net.Conn":
			return "nil"
		}
		return t + "{}"
	}
	if regexp.MustCompile(`(?m)^type\s+` + regexp.QuoteMeta(t) + `\s+interface\b`).MatchString(c.code[c.winStart:c.winEnd]) {
		return "nil"
	}
	return t + "{}"
}

// blockBody proposes the body of a block whose header (without its opener)
// is given, or nil.
func (c *mctx) blockBody(header, ind string) []string {
	if fh, ok := c.parseFunc(header); ok {
		lines, _ := knownBody(c.l, fh)
		if lines == nil && c.l.fam == famPython {
			lines = []string{"pass"}
		}
		return lines
	}
	if v, ok := c.loopVar(header); ok {
		return c.loopBody(v)
	}
	switch c.l.fam {
	case famPython:
		switch {
		case strings.HasPrefix(header, "if __name__"):
			return []string{"main()"}
		case strings.HasPrefix(header, "class "):
			if strings.Contains(header, "Exception") || strings.Contains(header, "Error") {
				return []string{"pass"}
			}
			return []string{"def __init__(self):", "\tpass"}
		case strings.HasPrefix(header, "with open(") && strings.HasSuffix(header, " as f"):
			return []string{"data = f.read()"}
		case strings.HasPrefix(header, "except") && strings.HasSuffix(header, " as e"):
			return []string{"print(e)"}
		}
	case famGo:
		if header == "if err != nil" {
			if plain, _ := c.goErrReturn(); plain != "" {
				return []string{plain}
			}
		}
	case famCLike:
		if strings.HasPrefix(header, "} catch") || strings.HasPrefix(header, "catch") {
			switch c.l.name {
			case "javascript", "typescript":
				if m := reCatchJS.FindStringSubmatch(header); m != nil {
					return []string{"console.error(" + m[1] + ");"}
				}
			case "java":
				if m := reCatchJava.FindStringSubmatch(header); m != nil {
					return []string{m[1] + ".printStackTrace();"}
				}
			case "cpp":
				if m := reCatchCpp.FindStringSubmatch(header); m != nil {
					return []string{"std::cerr << " + m[1] + ".what() << std::endl;"}
				}
			}
		}
	}
	return nil
}
