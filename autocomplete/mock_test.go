package autocomplete

import (
	"context"
	"strings"
	"testing"
)

// caret marks the cursor in test inputs.
const caret = "‸"

type mockCase struct {
	name string
	code string // with caret at the cursor
	want string // text of the first suggestion; "" means no suggestions
	// replace, when set, is the expected Replace of the first suggestion as
	// offsets relative to the cursor: {from - cursor, to - cursor}.
	replace *Range
}

func runMock(t *testing.T, lang string, c mockCase) []Suggestion {
	t.Helper()
	i := strings.Index(c.code, caret)
	if i < 0 {
		t.Fatalf("case %q has no caret", c.name)
	}
	code := c.code[:i] + c.code[i+len(caret):]
	cu := utf16Len(code[:i])
	got, err := NewMock().Complete(context.Background(), Request{Code: code, Cursor: cu, Language: lang})
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if c.want == "" {
		if len(got) != 0 {
			t.Fatalf("want no suggestions, got %+v", got)
		}
		return got
	}
	if len(got) == 0 {
		t.Fatalf("want %q, got no suggestions", c.want)
	}
	if got[0].Text != c.want {
		t.Fatalf("first suggestion\n got: %q\nwant: %q\n all: %+v", got[0].Text, c.want, got)
	}
	if c.replace != nil {
		r := got[0].Replace
		if r == nil || r.From-cu != c.replace.From || r.To-cu != c.replace.To {
			t.Fatalf("replace = %+v (cursor %d), want relative %+v", r, cu, *c.replace)
		}
	}
	return got
}

func runTable(t *testing.T, lang string, cases []mockCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			runMock(t, lang, c)
		})
	}
}

func TestMockPython(t *testing.T) {
	t.Parallel()
	runTable(t, "python", []mockCase{
		{name: "fibonacci body after Enter (auto-indented)", code: "def fibonacci(n):\n    ‸",
			want: "if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)"},
		{name: "fibonacci body after Enter (not indented)", code: "def fibonacci(n):\n‸",
			want: "    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)"},
		{name: "body offered before Enter", code: "def is_prime(n):‸",
			want: "\n    if n < 2:\n        return False\n    for i in range(2, int(n ** 0.5) + 1):\n        if n % i == 0:\n            return False\n    return True"},
		{name: "def header open paren", code: "def factorial(n‸",
			want: "):\n    if n <= 1:\n        return 1\n    return n * factorial(n - 1)"},
		{name: "unknown def swallows auto-closed paren", code: "def process(data‸)",
			want: "):\n    pass", replace: &Range{0, 1}},
		{name: "method gets self", code: "class Point:\n    def area(‸",
			want: "self):\n        pass"},
		{name: "__init__ assigns parameters", code: "class Point:\n    def __init__(self, x, y‸",
			want: "):\n        self.x = x\n        self.y = y"},
		{name: "for index in", code: "for i in ‸", want: "range(10):\n    print(i)"},
		{name: "for item in plural", code: "items = load()\nfor item in ‸", want: "items:\n    print(item)"},
		{name: "for alone picks collection", code: "users = []\nfor ‸", want: "user in users:\n    print(user)"},
		{name: "for k, v in dict", code: "ages = {}\nfor name, age in ‸", want: "ages.items():"},
		{name: "if __name__", code: "def main():\n    pass\n\nif __na‸",
			want: "me__ == \"__main__\":\n    main()"},
		{name: "close string and call", code: "print(\"hello‸", want: "\")"},
		{name: "if condition gets colon", code: "total = 0\nif total > 3‸", want: ":"},
		{name: "identifier by frequency and nearness", code: "result = 1\nresults = [result]\nprint(result)\nres‸",
			want: "ult"},
		{name: "keyword", code: "def f(x):\n    ret‸", want: "urn"},
		{name: "module member", code: "import os\nos.pa‸", want: "th"},
		{name: "except after try body", code: "try:\n    x = 1\n‸", want: "except Exception as e:\n    print(e)"},
		{name: "close multi-line list at opener indentation", code: "values = [\n    1,\n    2,\n    ‸",
			want: "]", replace: &Range{-4, 0}},
		{name: "with open gets as f", code: "with open(\"data.txt\"‸", want: ") as f:"},
		{name: "none: empty line in finished block", code: "def f(x):\n    return x\n    ‸"},
		{name: "none: middle of word", code: "x = fooba‸r"},
		{name: "none: comment", code: "# compute the tot‸"},
		{name: "none: after open paren", code: "print(‸"},
		{name: "none: body already present", code: "def fibonacci(n):\n    ‸\n    return n"},
	})
}

func TestMockTypeScript(t *testing.T) {
	t.Parallel()
	runTable(t, "typescript", []mockCase{
		{name: "function with typed param", code: "function fibonacci(n: number‸",
			want: "): number {\n  if (n < 2) {\n    return n;\n  }\n  return fibonacci(n - 1) + fibonacci(n - 2);\n}"},
		{name: "console member", code: "console.lo‸", want: "g"},
		{name: "member seen in code wins", code: "const user = {name: 'a', nickname: 'b'};\nuser.nickname = 'c';\nuser.n‸", want: "ickname"},
		{name: "for index loop", code: "for (‸", want: "let i = 0; i < 10; i++) {\n  console.log(i);\n}"},
		{name: "for-of over plural", code: "const users = [];\nfor (‸", want: "const user of users) {\n  console.log(user);\n}"},
		{name: "for-of after of", code: "const orders = [];\nfor (const order of ‸", want: "orders) {\n  console.log(order);\n}"},
		{name: "try swallows auto-closed brace", code: "try {‸}",
			want: "\n  \n} catch (error) {\n  console.error(error);\n}", replace: &Range{0, 1}},
		{name: "arrow function one-liner", code: "const add = (a: number, b: number‸", want: "): number => a + b;"},
		{name: "body on empty line closes block", code: "function greet(name: string) {\n  ‸",
			want: "return `Hello, ${name}!`;\n}"},
		{name: "close function block at indentation", code: "function foo() {\n  const x = 1;\n  ‸",
			want: "}", replace: &Range{-2, 0}},
		{name: "close object literal with semicolon", code: "const config = {\n  port: 8080,\n  ‸",
			want: "};", replace: &Range{-2, 0}},
		{name: "if condition gets brace", code: "if (x > 0‸", want: ") {"},
		{name: "close string and statement", code: "console.log(\"hi‸", want: "\");"},
		{name: "forEach", code: "const items = [];\nitems.forEach(‸", want: "(item) => {\n  console.log(item);\n});"},
		{name: "keyword", code: "const x = 1;\nexpo‸", want: "rt"},
		{name: "none: middle of word", code: "const value = 1;\nval‸ue"},
		{name: "none: after statement", code: "const x = 1;‸"},
		{name: "none: line comment", code: "// retu‸"},
		{name: "none: blank line in closed block", code: "function f() {\n  g();\n  ‸\n}"},
	})
}

func TestMockJavaScript(t *testing.T) {
	t.Parallel()
	runTable(t, "js", []mockCase{
		{name: "function isPrime", code: "function isPrime(n‸",
			want: ") {\n  if (n < 2) {\n    return false;\n  }\n  for (let i = 2; i * i <= n; i++) {\n    if (n % i === 0) {\n      return false;\n    }\n  }\n  return true;\n}"},
		{name: "unknown function opens block only", code: "function render(state‸", want: ") {"},
		{name: "arrow with block", code: "const handler = async (req, res‸", want: ") => {"},
		{name: "callback closes with paren and semicolon", code: "app.get('/', (req, res) => {\n  res.send('ok');\n  ‸",
			want: "});", replace: &Range{-2, 0}},
		{name: "sleep", code: "function sleep(ms‸", want: ") {\n  return new Promise((resolve) => setTimeout(resolve, ms));\n}"},
		{name: "catch", code: "try {\n  run();\n} catch‸", want: " (error) {\n  console.error(error);\n}"},
		{name: "none: inside word", code: "let counter = 0;\ncou‸nter"},
	})
}

func TestMockGo(t *testing.T) {
	t.Parallel()
	runTable(t, "golang", []mockCase{
		{name: "if err returns zero values", code: "func load(path string) (*Config, int, error) {\n\tdata, err := os.ReadFile(path)\n\tif err != nil ‸",
			want: "{\n\t\treturn nil, 0, err\n\t}"},
		{name: "if err in main", code: "func main() {\n\tif err‸", want: " != nil {\n\t\tlog.Fatal(err)\n\t}"},
		{name: "if err named struct", code: "type Point struct{}\n\nfunc parse(s string) (Point, error) {\n\tif err != nil {\n\t\t‸",
			want: "return Point{}, err\n\t}"},
		{name: "receiver", code: "type Server struct{}\n\nfunc (‸", want: "s *Server) "},
		{name: "func with result type", code: "func fibonacci(n int‸",
			want: ") int {\n\tif n < 2 {\n\t\treturn n\n\t}\n\treturn fibonacci(n-1) + fibonacci(n-2)\n}"},
		{name: "range loop", code: "func f(names []string) {\n\tfor ‸", want: "_, name := range names {\n\t\tfmt.Println(name)\n\t}"},
		{name: "defer close", code: "func main() {\n\tf, err := os.Open(\"x\")\n\tdefer ‸", want: "f.Close()"},
		{name: "fmt member", code: "fmt.Pr‸", want: "intln"},
		{name: "none: blank line after statement", code: "func main() {\n\tx := 1\n\t‸\n}"},
	})
}

func TestMockRust(t *testing.T) {
	t.Parallel()
	runTable(t, "rs", []mockCase{
		{name: "main", code: "fn main(‸", want: ") {\n    println!(\"Hello, world!\");\n}"},
		{name: "fibonacci tail expression", code: "fn fibonacci(n: u64‸",
			want: ") -> u64 {\n    if n < 2 {\n        return n;\n    }\n    fibonacci(n - 1) + fibonacci(n - 2)\n}"},
		{name: "derive", code: "#[derive(‸", want: "Debug, Clone, PartialEq)]"},
		{name: "for over plural", code: "let items = vec![1];\nfor item in ‸", want: "&items {\n    println!(\"{:?}\", item);\n}"},
		{name: "close macro call", code: "println!(\"{}\", x‸", want: ");"},
		{name: "use std", code: "use std::‸", want: "collections::HashMap;"},
		{name: "none: comment", code: "// let x = y‸"},
	})
}

func TestMockJava(t *testing.T) {
	t.Parallel()
	runTable(t, "java", []mockCase{
		{name: "main", code: "public class Main {\n    public static void main(‸",
			want: "String[] args) {\n        System.out.println(\"Hello, world!\");\n    }"},
		{name: "method body", code: "class A {\n    public int add(int a, int b‸", want: ") {\n        return a + b;\n    }"},
		{name: "System.out member", code: "System.out.pr‸", want: "intln"},
		{name: "try catch", code: "try‸", want: " {\n    \n} catch (Exception e) {\n    e.printStackTrace();\n}"},
		{name: "for over list uses size", code: "List<String> names = new ArrayList<>();\nfor (‸",
			want: "var name : names) {\n    System.out.println(name);\n}"},
		{name: "none: middle of identifier", code: "int total = 0;\ntot‸al"},
	})
}

func TestMockC(t *testing.T) {
	t.Parallel()
	runTable(t, "c", []mockCase{
		{name: "include", code: "#include <‸", want: "stdio.h>"},
		{name: "include next header", code: "#include <stdio.h>\n#include <‸", want: "stdlib.h>"},
		{name: "main", code: "int main(‸", want: "void) {\n    printf(\"Hello, world!\\n\");\n    return 0;\n}"},
		{name: "for with n", code: "int n = 3;\nfor (‸", want: "int i = 0; i < n; i++) {\n    printf(\"%d\\n\", i);\n}"},
		{name: "close printf", code: "printf(\"%d\\n\", n‸", want: ");"},
		{name: "struct closes with semicolon", code: "struct point {\n    int x;\n    ‸", want: "};", replace: &Range{-4, 0}},
		{name: "none: after semicolon", code: "int x = 1;‸"},
	})
}

func TestMockCpp(t *testing.T) {
	t.Parallel()
	runTable(t, "c++", []mockCase{
		{name: "include", code: "#include <‸", want: "iostream>"},
		{name: "std member", code: "std::co‸", want: "ut"},
		{name: "range for", code: "std::vector<int> nums;\nfor (‸", want: "const auto& num : nums) {\n    std::cout << num << std::endl;\n}"},
		{name: "main body on empty line", code: "int main() {\n    ‸", want: "std::cout << \"Hello, world!\" << std::endl;\n    return 0;\n}"},
		{name: "gcd", code: "int gcd(int a, int b‸",
			want: ") {\n    while (b != 0) {\n        int t = b;\n        b = a % b;\n        a = t;\n    }\n    return a;\n}"},
		{name: "none: middle of word", code: "int count = 0;\ncou‸nt"},
	})
}

func TestMockUnknownLanguage(t *testing.T) {
	t.Parallel()
	runTable(t, "cobol", []mockCase{
		{name: "identifier from code", code: "alpha beta alphabet alphabet al‸", want: "phabet"},
		{name: "no keywords for unknown languages", code: "x = 1\nretu‸"},
		{name: "none: one letter", code: "alpha a‸"},
	})
}

func TestMockUTF16Cursor(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		lang string
		mockCase
	}{
		{"emoji before cursor", "typescript", mockCase{code: "const s = \"héllo 😀 wor‸", want: "\";"}},
		{"emoji inside identifier-free line, replace range in UTF-16", "python", mockCase{
			code: "# 😀😀\ndef process(data‸)", want: "):\n    pass", replace: &Range{0, 1}}},
		{"non-ASCII identifier", "python", mockCase{code: "café = 1\nprint(café)\nca‸", want: "fé"}},
		{"CJK before block close", "typescript", mockCase{code: "const 名前 = {\n  a: '日本',\n  ‸", want: "};", replace: &Range{-2, 0}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			runMock(t, c.lang, c.mockCase)
		})
	}
}

func TestMockCursorInsideSurrogatePair(t *testing.T) {
	t.Parallel()
	code := "x😀"
	// Cursor 2 is between the halves of 😀: it snaps back to before it.
	got, err := NewMock().Complete(context.Background(), Request{Code: code, Cursor: 2, Language: "python"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("want nothing before an emoji, got %+v", got)
	}
	if _, err := NewMock().Complete(context.Background(), Request{Code: code, Cursor: 4, Language: "python"}); err == nil {
		t.Fatal("cursor past the end: want an error")
	}
}

func TestMockRespectsMax(t *testing.T) {
	t.Parallel()
	code := "aa1 aa2 aa3 aa4 aa5 aa6\naa"
	got, err := NewMock().Complete(context.Background(), Request{Code: code, Cursor: len(code), Language: "go", Max: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d suggestions, want 2: %+v", len(got), got)
	}
}

func TestLanguageAliases(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"py": "python", "JS": "javascript", "tsx": "typescript", "golang": "go",
		"c++": "cpp", "rs": "rust", "Java": "java", "h": "c", "cobol": ""} {
		if got := CanonicalLanguage(in); got != want {
			t.Errorf("CanonicalLanguage(%q) = %q, want %q", in, got, want)
		}
	}
}
