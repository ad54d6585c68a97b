package autocomplete

import "strings"

// family groups languages whose syntax the mock treats alike.
type family int

const (
	famNone   family = iota // unknown language: identifier completion only
	famPython               // indentation blocks, # comments
	famCLike                // JavaScript, TypeScript, Java, C, C++: braces, semicolons
	famGo                   // braces, no semicolons, no parentheses around conditions
	famRust                 // braces, semicolons, expression bodies
)

type language struct {
	name     string
	fam      family
	unit     string // default indentation unit
	semis    bool   // statements end with ';'
	keywords []string
	builtins []string
	// members maps a receiver name to its common members, best first; the
	// key "*" lists members worth offering after any receiver.
	members map[string][]string
}

var languageAliases = map[string]string{
	"python": "python", "py": "python", "python3": "python", "python2": "python", "py3": "python",
	"javascript": "javascript", "js": "javascript", "jsx": "javascript", "node": "javascript", "mjs": "javascript", "cjs": "javascript", "ecmascript": "javascript",
	"typescript": "typescript", "ts": "typescript", "tsx": "typescript",
	"go": "go", "golang": "go",
	"rust": "rust", "rs": "rust",
	"java": "java",
	"c":    "c", "h": "c",
	"cpp": "cpp", "c++": "cpp", "cxx": "cpp", "cc": "cpp", "hpp": "cpp", "hxx": "cpp",
}

// CanonicalLanguage maps a language name or alias ("py", "TS", "golang",
// "c++") to the canonical name used by the mock, or "" when unknown.
func CanonicalLanguage(name string) string {
	return languageAliases[strings.ToLower(strings.TrimSpace(name))]
}

func lookupLanguage(name string) *language {
	if l, ok := languages[CanonicalLanguage(name)]; ok {
		return l
	}
	return &unknownLanguage
}

var unknownLanguage = language{name: "", fam: famNone, unit: "    "}

func words(s string) []string { return strings.Fields(s) }

var jsKeywords = words(`return const let function if else for while switch case break continue default
new this class extends import export from async await try catch finally throw typeof instanceof of in
null undefined true false do delete void yield super static get set`)

var jsBuiltins = words(`console document window Math JSON Object Array String Number Boolean Promise
Map Set Date Error RegExp Symbol parseInt parseFloat setTimeout setInterval clearTimeout clearInterval
fetch require module exports process Buffer localStorage addEventListener`)

var jsMembers = map[string][]string{
	"console":  words(`log error warn info debug table dir time timeEnd`),
	"Math":     words(`floor max min round ceil abs random sqrt pow PI trunc sign`),
	"JSON":     words(`stringify parse`),
	"Object":   words(`keys values entries assign freeze fromEntries create`),
	"Array":    words(`isArray from of`),
	"Promise":  words(`all resolve reject race allSettled any`),
	"document": words(`getElementById querySelector querySelectorAll createElement addEventListener body title`),
	"window":   words(`addEventListener location localStorage setTimeout requestAnimationFrame innerWidth`),
	"process":  words(`env argv exit cwd on`),
	"Number":   words(`parseInt parseFloat isNaN isInteger MAX_SAFE_INTEGER`),
	"String":   words(`fromCharCode`),
	"*": words(`length push map filter forEach reduce join split slice includes indexOf find then catch
toString trim replace toLowerCase toUpperCase startsWith endsWith keys values some every sort concat`),
}

var languages = map[string]*language{
	"python": {
		name: "python", fam: famPython, unit: "    ",
		keywords: words(`return def if elif else for while in not and or import from as class try except
finally with lambda yield pass break continue raise assert global nonlocal del is None True False async await`),
		builtins: words(`print len range self enumerate zip isinstance str int float list dict set tuple bool
open sorted reversed sum min max abs map filter super type input round any all repr format hasattr getattr
setattr iter next Exception ValueError TypeError KeyError IndexError RuntimeError NotImplementedError
StopIteration __name__ __init__ __main__ os sys json re math random time datetime collections itertools
functools pathlib typing dataclasses logging argparse subprocess`),
		members: map[string][]string{
			"os":          words(`path environ getcwd listdir makedirs getenv remove walk`),
			"path":        words(`join exists dirname basename abspath isfile isdir splitext`),
			"sys":         words(`argv exit stdin stdout stderr path`),
			"json":        words(`dumps loads dump load`),
			"math":        words(`sqrt floor ceil pi pow log inf sin cos gcd`),
			"random":      words(`randint choice random shuffle sample uniform`),
			"re":          words(`match search findall sub compile split`),
			"time":        words(`time sleep perf_counter monotonic`),
			"datetime":    words(`datetime now date timedelta`),
			"collections": words(`defaultdict Counter deque namedtuple OrderedDict`),
			"logging":     words(`getLogger info debug warning error basicConfig`),
			"*": words(`append items keys values get join split strip format lower upper startswith endswith
replace extend pop insert remove sort count index update read write close`),
		},
	},
	"javascript": {name: "javascript", fam: famCLike, unit: "  ", semis: true, keywords: jsKeywords, builtins: jsBuiltins, members: jsMembers},
	"typescript": {
		name: "typescript", fam: famCLike, unit: "  ", semis: true,
		keywords: append(append([]string{}, jsKeywords...), words(`interface type enum implements private public
protected readonly abstract declare namespace keyof as any number string boolean unknown never void`)...),
		builtins: append(append([]string{}, jsBuiltins...), words(`Record Partial Readonly Pick Omit ReturnType Array Promise`)...),
		members:  jsMembers,
	},
	"go": {
		name: "go", fam: famGo, unit: "\t",
		keywords: words(`return func if else for range err nil type struct interface package import var const
defer go select switch case default break continue chan map true false iota fallthrough goto`),
		builtins: words(`fmt append len make string int error errors strings strconv context time cap close copy
delete new panic recover int64 float64 bool byte rune any os io http json sync bytes sort math log filepath`),
		members: map[string][]string{
			"fmt":      words(`Println Printf Sprintf Errorf Fprintf Sprint Print Fprintln`),
			"strings":  words(`Contains Split Join TrimSpace HasPrefix HasSuffix ReplaceAll Replace ToLower ToUpper Index Fields Builder TrimPrefix TrimSuffix Repeat NewReader`),
			"strconv":  words(`Itoa Atoi ParseInt FormatInt Quote ParseFloat ParseBool`),
			"errors":   words(`New Is As Unwrap Join`),
			"os":       words(`Open Create ReadFile WriteFile Exit Getenv Args Stdout Stderr Remove MkdirAll`),
			"time":     words(`Now Since Second Millisecond Duration Sleep After Minute NewTicker`),
			"context":  words(`Background WithCancel WithTimeout WithValue TODO Context`),
			"sync":     words(`Mutex WaitGroup RWMutex Once Map`),
			"http":     words(`HandleFunc ListenAndServe Get NewRequest StatusOK Error ResponseWriter Request Handler`),
			"json":     words(`Marshal Unmarshal NewEncoder NewDecoder MarshalIndent`),
			"sort":     words(`Slice Strings Ints SliceStable`),
			"math":     words(`Max Min Abs Sqrt Floor Ceil Pow MaxInt Inf`),
			"log":      words(`Println Printf Fatal Fatalf`),
			"io":       words(`ReadAll EOF Copy Reader Writer`),
			"bytes":    words(`Buffer Equal Contains NewReader`),
			"filepath": words(`Join Base Dir Ext Abs Walk`),
			"*":        words(`Close Error String Lock Unlock Add Done Wait Len Write Read`),
		},
	},
	"rust": {
		name: "rust", fam: famRust, unit: "    ", semis: true,
		keywords: words(`let mut fn return if else for while loop match impl struct enum trait pub use mod
self Self crate super where as in ref move async await const static dyn unsafe true false break continue type`),
		builtins: words(`println! format! vec! print! eprintln! panic! assert! assert_eq! Some None Ok Err Option
Result Vec String Box HashMap HashSet std i32 i64 u32 u64 usize f64 bool str`),
		members: map[string][]string{
			"std":         words(`collections io fs env thread sync fmt`),
			"collections": words(`HashMap HashSet VecDeque BTreeMap`),
			"io":          words(`stdin Read Write Result BufRead`),
			"HashMap":     words(`new with_capacity`),
			"Vec":         words(`new with_capacity`),
			"String":      words(`new from with_capacity`),
			"*": words(`iter unwrap collect map len push clone to_string expect is_empty into_iter filter
as_str insert get contains`),
		},
	},
	"java": {
		name: "java", fam: famCLike, unit: "    ", semis: true,
		keywords: words(`public private protected static final void class interface extends implements return
new if else for while try catch finally throw throws import package this super int long double boolean
char byte short float null true false switch case break continue default var abstract synchronized`),
		builtins: words(`String System Integer Math List ArrayList Map HashMap Set HashSet Arrays Collections
Object Exception RuntimeException IllegalArgumentException Optional StringBuilder Scanner Thread Override`),
		members: map[string][]string{
			"System":      words(`out err in currentTimeMillis nanoTime exit`),
			"out":         words(`println print printf`),
			"err":         words(`println print printf`),
			"Math":        words(`max min abs sqrt pow random floor ceil`),
			"Arrays":      words(`asList sort toString stream fill`),
			"Collections": words(`sort reverse emptyList unmodifiableList`),
			"List":        words(`of copyOf`),
			"Integer":     words(`parseInt valueOf MAX_VALUE MIN_VALUE toString`),
			"String":      words(`valueOf format join`),
			"*":           words(`length size get add put contains equals toString isEmpty stream append`),
		},
	},
	"c": {
		name: "c", fam: famCLike, unit: "    ", semis: true,
		keywords: words(`return int char void if else for while struct typedef const static unsigned sizeof
break continue switch case default double float long short enum union extern do NULL bool true false`),
		builtins: words(`printf malloc free strlen sizeof scanf fprintf stderr stdout stdin calloc realloc strcpy
strncpy strcmp strcat memcpy memset fopen fclose fgets puts putchar getchar exit size_t snprintf sprintf
qsort atoi assert uint8_t int32_t uint32_t int64_t uint64_t EXIT_SUCCESS EXIT_FAILURE`),
		members: map[string][]string{},
	},
	"cpp": {
		name: "cpp", fam: famCLike, unit: "    ", semis: true,
		keywords: words(`return int auto const void if else for while class struct public private protected
virtual override template typename namespace using new delete nullptr this true false bool char double
float long static try catch throw switch case break continue default constexpr noexcept explicit`),
		builtins: words(`std cout endl string vector map unordered_map size_t printf make_unique make_shared
unique_ptr shared_ptr move sort cin cerr`),
		members: map[string][]string{
			"std": words(`cout endl string vector map unordered_map cin cerr move make_unique make_shared
unique_ptr shared_ptr sort find pair make_pair set unordered_set to_string optional array function size_t
min max swap getline accumulate thread mutex`),
			"*": words(`size push_back begin end empty emplace_back insert find erase clear at c_str length`),
		},
	},
}
