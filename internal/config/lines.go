package config

import (
	"reflect"
	"strconv"
	"strings"
)

// The TOML decoder does not tell where a key was defined, so validation
// errors are placed by scanning the file's tables and keys here. The scanner
// runs only on text the decoder has accepted, but it must still never panic
// or loop on any input (see FuzzParse), so every step consumes input or stops.

// keyLines maps setting paths to the lines that define them.
type keyLines struct {
	// at maps an indexed path, e.g. "documents[3].code" (the third
	// [[documents]] block), to the line that defines it.
	at map[string]int
	// all maps a path without indexes, e.g. "documents.code", to every line
	// defining it; the decoder names unknown keys that way.
	all map[string][]int
}

// line returns the line of path, or of its nearest enclosing table or key
// found in the file; 0 if none is.
func (l keyLines) line(path string) int {
	for path != "" {
		if n, ok := l.at[path]; ok {
			return n
		}
		path = parentPath(path)
	}
	return 0
}

// parentPath strips the last ".key" or "[n]" from path.
func parentPath(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndexByte(path, '['); i >= 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

// maxDepth bounds nesting of arrays and inline tables in the scanner.
const maxDepth = 64

type scanner struct {
	data  []byte
	i     int
	line  int
	table string         // current table, indexed
	aot   map[string]int // blocks seen per array-of-tables path
	out   keyLines
}

func scanKeys(data []byte) keyLines {
	s := &scanner{data: data, line: 1, aot: map[string]int{},
		out: keyLines{at: map[string]int{}, all: map[string][]int{}}}
	for {
		s.skipBlank(true)
		if s.eof() {
			break
		}
		start := s.i
		if s.data[s.i] == '[' {
			s.header()
		} else if segs := s.key(); len(segs) > 0 && s.peek() == '=' {
			s.i++
			path := join(s.table, segs)
			s.record(path)
			s.value(path, 0)
		}
		s.skipLine()
		if s.i == start {
			s.i++
		}
	}
	return s.out
}

func (s *scanner) eof() bool { return s.i >= len(s.data) }

func (s *scanner) peek() byte {
	if s.eof() {
		return 0
	}
	return s.data[s.i]
}

func (s *scanner) hasPrefix(p string) bool {
	return strings.HasPrefix(string(s.data[s.i:min(len(s.data), s.i+len(p))]), p)
}

func (s *scanner) record(path string) {
	if _, ok := s.out.at[path]; !ok {
		s.out.at[path] = s.line
	}
	plain := stripIndexes(path)
	s.out.all[plain] = append(s.out.all[plain], s.line)
}

// skipBlank skips spaces, tabs and comments, and newlines too when nl is set.
func (s *scanner) skipBlank(nl bool) {
	for !s.eof() {
		switch c := s.data[s.i]; {
		case c == ' ' || c == '\t' || c == '\r':
			s.i++
		case c == '\n' && nl:
			s.i++
			s.line++
		case c == '#':
			for !s.eof() && s.data[s.i] != '\n' {
				s.i++
			}
		default:
			return
		}
	}
}

// skipLine moves past the end of the current line.
func (s *scanner) skipLine() {
	for !s.eof() {
		c := s.data[s.i]
		s.i++
		if c == '\n' {
			s.line++
			return
		}
	}
}

// header reads "[a.b]" or "[[a.b]]" and makes it the current table.
func (s *scanner) header() {
	s.i++
	aot := s.peek() == '['
	if aot {
		s.i++
	}
	segs := s.key()
	if len(segs) == 0 {
		return
	}
	path := ""
	for n, seg := range segs {
		path = join(path, []string{seg})
		if aot && n == len(segs)-1 {
			s.aot[path]++
			path += "[" + strconv.Itoa(s.aot[path]) + "]"
		} else if c := s.aot[path]; c > 0 {
			path += "[" + strconv.Itoa(c) + "]"
		}
	}
	s.table = path
	s.record(path)
}

// key reads a dotted key of bare, "basic" or 'literal' parts and stops
// before "=", "]" or anything else.
func (s *scanner) key() []string {
	var segs []string
	for {
		s.skipBlank(false)
		if s.eof() {
			return segs
		}
		switch c := s.data[s.i]; {
		case c == '"':
			raw := s.basicString()
			if v, err := strconv.Unquote(raw); err == nil {
				raw = v
			} else {
				raw = strings.Trim(raw, `"`)
			}
			segs = append(segs, raw)
		case c == '\'':
			segs = append(segs, strings.Trim(s.literalString(), "'"))
		case isBare(c):
			start := s.i
			for !s.eof() && isBare(s.data[s.i]) {
				s.i++
			}
			segs = append(segs, string(s.data[start:s.i]))
		default:
			return segs
		}
		s.skipBlank(false)
		if s.peek() != '.' {
			return segs
		}
		s.i++
	}
}

func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// value skips one value, recording the keys of inline tables inside it.
func (s *scanner) value(path string, depth int) {
	s.skipBlank(false)
	if s.eof() || depth > maxDepth {
		return
	}
	switch c := s.data[s.i]; {
	case s.hasPrefix(`"""`):
		s.multiline(`"""`, true)
	case s.hasPrefix(`'''`):
		s.multiline(`'''`, false)
	case c == '"':
		s.basicString()
	case c == '\'':
		s.literalString()
	case c == '[':
		s.i++
		n := 1
		for !s.eof() {
			s.skipBlank(true)
			if s.eof() {
				return
			}
			switch s.data[s.i] {
			case ']':
				s.i++
				return
			case ',':
				s.i++
				n++
				continue
			}
			start := s.i
			s.value(path+"["+strconv.Itoa(n)+"]", depth+1)
			if s.i == start {
				s.i++
			}
		}
	case c == '{':
		s.i++
		for !s.eof() {
			s.skipBlank(true)
			if s.eof() {
				return
			}
			switch s.data[s.i] {
			case '}':
				s.i++
				return
			case ',':
				s.i++
				continue
			}
			start := s.i
			segs := s.key()
			if len(segs) > 0 && s.peek() == '=' {
				s.i++
				p := join(path, segs)
				s.record(p)
				s.value(p, depth+1)
			}
			if s.i == start {
				s.i++
			}
		}
	default:
		// A number, boolean or date: up to the next delimiter.
		for !s.eof() && !strings.ContainsRune(",]}\n#", rune(s.data[s.i])) {
			s.i++
		}
	}
}

// basicString reads a one-line "string" with escapes and returns its raw text.
func (s *scanner) basicString() string {
	start := s.i
	s.i++
	for !s.eof() {
		switch s.data[s.i] {
		case '\\':
			s.i += 2
			continue
		case '"':
			s.i++
			return string(s.data[start:s.i])
		case '\n':
			return string(s.data[start:s.i])
		}
		s.i++
	}
	s.i = min(s.i, len(s.data))
	return string(s.data[start:s.i])
}

// literalString reads a one-line 'string' and returns its raw text.
func (s *scanner) literalString() string {
	start := s.i
	s.i++
	for !s.eof() && s.data[s.i] != '\'' && s.data[s.i] != '\n' {
		s.i++
	}
	if s.peek() == '\'' {
		s.i++
	}
	return string(s.data[start:s.i])
}

// multiline skips a """ or ”' string, counting its lines.
func (s *scanner) multiline(delim string, escapes bool) {
	s.i += len(delim)
	for !s.eof() {
		switch {
		case escapes && s.data[s.i] == '\\':
			s.i++
			if s.peek() == '\n' {
				s.line++
			}
			s.i++
			continue
		case s.hasPrefix(delim):
			s.i += len(delim)
			// Up to two quotes may end the content just before the delimiter.
			for k := 0; k < 2 && s.peek() == delim[0]; k++ {
				s.i++
			}
			return
		case s.data[s.i] == '\n':
			s.line++
		}
		s.i++
	}
	s.i = min(s.i, len(s.data))
}

func join(prefix string, segs []string) string {
	p := strings.Join(segs, ".")
	if prefix == "" {
		return p
	}
	return prefix + "." + p
}

// stripIndexes turns "documents[3].code" into "documents.code".
func stripIndexes(path string) string {
	if !strings.Contains(path, "[") {
		return path
	}
	var b strings.Builder
	skip := false
	for _, r := range path {
		switch {
		case r == '[':
			skip = true
		case r == ']':
			skip = false
		case !skip:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// suggest returns the known setting closest to an unknown key, for typos.
func suggest(key []string) string {
	t := reflect.TypeFor[Settings]()
	for n, part := range key {
		for t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return ""
		}
		names := fieldNames(t)
		if n < len(key)-1 {
			f, ok := names[part]
			if !ok {
				return ""
			}
			t = f
			continue
		}
		best, bestD := "", 3
		for name := range names {
			d := editDistance(part, name)
			if len(part) >= 4 && (strings.Contains(name, part) || strings.Contains(part, name)) {
				d = min(d, 2) // "photo" for "has_photo"
			}
			if d < bestD || d == bestD && name < best {
				best, bestD = name, d
			}
		}
		if best == "" {
			return ""
		}
		return strings.Join(append(append([]string(nil), key[:n]...), best), ".")
	}
	return ""
}

func fieldNames(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("toml"), ","); name != "" {
			m[name] = f.Type
		}
	}
	return m
}

// editDistance is the Levenshtein distance between short ASCII keys.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
