package autocomplete

import (
	"strings"
	"unicode"
)

// knownBody returns the body of a function the mock recognises by name and
// arity (fibonacci, factorial, is_prime, gcd, add, max, greet, main, Python's
// __init__, getters and setters, ...), as template lines whose leading tabs
// are indentation levels, and the kind of its result ("num": the first
// parameter's type, "bool", "str", or "" for none/unknown).
func knownBody(l *language, fh funcHeader) ([]string, string) {
	b := bodyWriter{l: l}
	ps := fh.params
	p := func(i int) string { return ps[i].name }
	n := len(ps)
	f := fh.name
	switch norm := strings.ToLower(strings.ReplaceAll(f, "_", "")); {
	case (norm == "fibonacci" || norm == "fib") && n == 1:
		return b.join(b.ifBlock(b.bin(p(0), "<", "2"), b.ret(p(0))), b.last(b.call(f, b.sub(p(0), "1"))+" + "+b.call(f, b.sub(p(0), "2")))), "num"
	case (norm == "factorial" || norm == "fact") && n == 1:
		return b.join(b.ifBlock(b.bin(p(0), "<=", "1"), b.ret("1")), b.last(p(0)+" * "+b.call(f, b.sub(p(0), "1")))), "num"
	case norm == "isprime" && n == 1:
		return b.isPrime(p(0)), "bool"
	case norm == "gcd" && n == 2:
		return b.gcd(f, p(0), p(1)), "num"
	case (norm == "add" || norm == "sum" || norm == "plus") && n == 2:
		return b.join(b.last(p(0) + " + " + p(1))), "num"
	case (norm == "subtract" || norm == "sub" || norm == "minus") && n == 2:
		return b.join(b.last(p(0) + " - " + p(1))), "num"
	case (norm == "multiply" || norm == "mul" || norm == "product" || norm == "times") && n == 2:
		return b.join(b.last(p(0) + " * " + p(1))), "num"
	case (norm == "divide" || norm == "div") && n == 2:
		return b.join(b.last(p(0) + " / " + p(1))), "num"
	case norm == "square" && n == 1:
		return b.join(b.last(p(0) + " * " + p(0))), "num"
	case (norm == "iseven" || norm == "isodd") && n == 1:
		op := map[bool]string{true: "==", false: "!="}[norm == "iseven"]
		if l.name == "javascript" || l.name == "typescript" {
			op += "="
		}
		return b.join(b.last(b.bin(p(0), "%", "2") + " " + op + " 0")), "bool"
	case (norm == "max" || norm == "min") && n == 2:
		op := map[bool]string{true: ">", false: "<"}[norm == "max"]
		return b.pick(p(0), op, p(1)), "num"
	case (norm == "greet" || norm == "sayhello" || norm == "hello") && n == 1:
		return b.greet(p(0)), "str"
	case norm == "main" || (norm == "greet" || norm == "sayhello" || norm == "hello") && n == 0:
		return b.hello(norm == "main"), ""
	case (norm == "reverse" || norm == "reversestring") && n == 1:
		return b.reverse(p(0)), "str"
	case norm == "ispalindrome" && n == 1:
		switch {
		case l.fam == famPython:
			return []string{"return " + p(0) + " == " + p(0) + "[::-1]"}, "bool"
		case l.name == "javascript" || l.name == "typescript":
			return []string{"return " + p(0) + ` === ` + p(0) + `.split("").reverse().join("");`}, "bool"
		}
	case norm == "capitalize" && n == 1:
		switch {
		case l.fam == famPython:
			return []string{"return " + p(0) + "[:1].upper() + " + p(0) + "[1:]"}, "str"
		case l.name == "javascript" || l.name == "typescript":
			return []string{"return " + p(0) + ".charAt(0).toUpperCase() + " + p(0) + ".slice(1);"}, "str"
		}
	case (norm == "average" || norm == "mean" || norm == "avg") && n == 1:
		switch {
		case l.fam == famPython:
			return []string{"return sum(" + p(0) + ") / len(" + p(0) + ")"}, ""
		case l.name == "javascript" || l.name == "typescript":
			return []string{"return " + p(0) + ".reduce((a, b) => a + b, 0) / " + p(0) + ".length;"}, ""
		}
	case (norm == "sleep" || norm == "delay" || norm == "wait") && n == 1 && (l.name == "javascript" || l.name == "typescript"):
		return []string{"return new Promise((resolve) => setTimeout(resolve, " + p(0) + "));"}, ""
	case norm == "clamp" && n == 3:
		switch {
		case l.fam == famPython:
			return []string{"return max(" + p(1) + ", min(" + p(0) + ", " + p(2) + "))"}, "num"
		case l.name == "javascript" || l.name == "typescript":
			return []string{"return Math.min(Math.max(" + p(0) + ", " + p(1) + "), " + p(2) + ");"}, "num"
		}
	case f == "__init__" && l.fam == famPython:
		if n == 0 {
			return []string{"pass"}, ""
		}
		var out []string
		for _, pr := range ps {
			out = append(out, "self."+pr.name+" = "+pr.name)
		}
		return out, ""
	case fh.inClass && n == 0 && len(norm) > 3 && strings.HasPrefix(norm, "get"):
		return b.getter(f), ""
	case fh.inClass && n == 1 && len(norm) > 3 && strings.HasPrefix(norm, "set"):
		return b.setter(f, p(0)), ""
	}
	return nil, ""
}

// bodyWriter spells small statements in one language's syntax.
type bodyWriter struct{ l *language }

func (b bodyWriter) py() bool { return b.l.fam == famPython }
func (b bodyWriter) js() bool { return b.l.name == "javascript" || b.l.name == "typescript" }

func (b bodyWriter) join(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func (b bodyWriter) semi(s string) string {
	if b.l.semis {
		return s + ";"
	}
	return s
}

// bin writes a binary expression; gofmt drops the spaces around tighter
// operators inside a larger expression, which callers handle with sub.
func (b bodyWriter) bin(x, op, y string) string {
	if b.l.fam == famGo && (op == "%" || op == "*") {
		return x + op + y
	}
	return x + " " + op + " " + y
}

func (b bodyWriter) sub(x, y string) string {
	if b.l.fam == famGo {
		return x + "-" + y
	}
	return x + " - " + y
}

func (b bodyWriter) call(f string, args ...string) string {
	return f + "(" + strings.Join(args, ", ") + ")"
}

func (b bodyWriter) ret(x string) []string { return []string{b.semi("return " + x)} }

// last is the final expression of a function: Rust's tail expression,
// "return x" elsewhere.
func (b bodyWriter) last(x string) []string {
	if b.l.fam == famRust {
		return []string{x}
	}
	return b.ret(x)
}

func (b bodyWriter) indent(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = "\t" + l
	}
	return out
}

func (b bodyWriter) block(head string, body []string) []string {
	switch b.l.fam {
	case famPython:
		return append([]string{head + ":"}, b.indent(body)...)
	default:
		return append(append([]string{head + " {"}, b.indent(body)...), "}")
	}
}

func (b bodyWriter) ifBlock(cond string, body []string) []string {
	if b.l.fam == famCLike {
		cond = "(" + cond + ")"
	}
	return b.block("if "+cond, body)
}

func (b bodyWriter) boolean(v bool) string {
	s := "false"
	if v {
		s = "true"
	}
	if b.py() {
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

func (b bodyWriter) isPrime(n string) []string {
	head := b.ifBlock(b.bin(n, "<", "2"), b.ret(b.boolean(false)))
	check := b.ifBlock(b.bin(n, "%", "i")+map[bool]string{true: " === 0", false: " == 0"}[b.js()], b.ret(b.boolean(false)))
	switch b.l.fam {
	case famPython:
		return b.join(head, b.block("for i in range(2, int("+n+" ** 0.5) + 1)", check), b.ret("True"))
	case famGo:
		return b.join(head, b.block("for i := 2; i*i <= "+n+"; i++", check), b.ret("true"))
	case famRust:
		return b.join(head, []string{"let mut i = 2;"}, b.block("while i * i <= "+n, append(check, "i += 1;")), []string{"true"})
	}
	decl := "int"
	if b.js() {
		decl = "let"
	}
	return b.join(head, b.block("for ("+decl+" i = 2; i * i <= "+n+"; i++)", check), b.ret("true"))
}

func (b bodyWriter) gcd(f, x, y string) []string {
	switch {
	case b.py():
		return []string{"while " + y + ":", "\t" + x + ", " + y + " = " + y + ", " + x + " % " + y, "return " + x}
	case b.l.fam == famGo:
		return []string{"for " + y + " != 0 {", "\t" + x + ", " + y + " = " + y + ", " + x + "%" + y, "}", "return " + x}
	case b.l.fam == famRust:
		return []string{"if " + y + " == 0 {", "\t" + x, "} else {", "\t" + f + "(" + y + ", " + x + " % " + y + ")", "}"}
	case b.js():
		return []string{"while (" + y + " !== 0) {", "\t[" + x + ", " + y + "] = [" + y + ", " + x + " % " + y + "];", "}", "return " + x + ";"}
	}
	return []string{"while (" + y + " != 0) {", "\tint t = " + y + ";", "\t" + y + " = " + x + " % " + y + ";", "\t" + x + " = t;", "}", "return " + x + ";"}
}

func (b bodyWriter) pick(x, op, y string) []string {
	switch b.l.fam {
	case famPython:
		return []string{"return " + x + " if " + x + " " + op + " " + y + " else " + y}
	case famGo:
		return []string{"if " + x + " " + op + " " + y + " {", "\treturn " + x, "}", "return " + y}
	case famRust:
		return []string{"if " + x + " " + op + " " + y + " {", "\t" + x, "} else {", "\t" + y, "}"}
	}
	return []string{"return " + x + " " + op + " " + y + " ? " + x + " : " + y + ";"}
}

func (b bodyWriter) greet(name string) []string {
	switch {
	case b.py():
		return []string{`return f"Hello, {` + name + `}!"`}
	case b.js():
		return []string{"return `Hello, ${" + name + "}!`;"}
	case b.l.fam == famRust:
		return []string{`format!("Hello, {}!", ` + name + `)`}
	case b.l.name == "c":
		return []string{`printf("Hello, %s!\n", ` + name + `);`}
	}
	return b.ret(`"Hello, " + ` + name + ` + "!"`)
}

func (b bodyWriter) hello(isMain bool) []string {
	switch b.l.name {
	case "python":
		return []string{`print("Hello, world!")`}
	case "javascript", "typescript":
		return []string{`console.log("Hello, world!");`}
	case "go":
		return []string{`fmt.Println("Hello, world!")`}
	case "rust":
		return []string{`println!("Hello, world!");`}
	case "java":
		return []string{`System.out.println("Hello, world!");`}
	case "c":
		if isMain {
			return []string{`printf("Hello, world!\n");`, "return 0;"}
		}
		return []string{`printf("Hello, world!\n");`}
	case "cpp":
		if isMain {
			return []string{`std::cout << "Hello, world!" << std::endl;`, "return 0;"}
		}
		return []string{`std::cout << "Hello, world!" << std::endl;`}
	}
	return nil
}

func (b bodyWriter) reverse(s string) []string {
	switch {
	case b.py():
		return []string{"return " + s + "[::-1]"}
	case b.js():
		return []string{"return " + s + `.split("").reverse().join("");`}
	case b.l.name == "java":
		return []string{"return new StringBuilder(" + s + ").reverse().toString();"}
	case b.l.fam == famRust:
		return []string{s + ".chars().rev().collect()"}
	}
	return nil
}

// field turns "get_name"/"getName" into "name".
func field(f string) string {
	r := f[3:]
	r = strings.TrimPrefix(r, "_")
	if r == "" {
		return ""
	}
	rs := []rune(r)
	rs[0] = unicode.ToLower(rs[0])
	return string(rs)
}

func (b bodyWriter) getter(f string) []string {
	switch {
	case b.py():
		return []string{"return self." + field(f)}
	case b.js() || b.l.name == "java" || b.l.name == "cpp":
		return []string{"return this" + map[bool]string{true: "->", false: "."}[b.l.name == "cpp"] + field(f) + ";"}
	}
	return nil
}

func (b bodyWriter) setter(f, v string) []string {
	switch {
	case b.py():
		return []string{"self." + field(f) + " = " + v}
	case b.js() || b.l.name == "java" || b.l.name == "cpp":
		return []string{"this" + map[bool]string{true: "->", false: "."}[b.l.name == "cpp"] + field(f) + " = " + v + ";"}
	}
	return nil
}
