package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// ErrInvalid is wrapped by every *Error: the settings are unusable.
var ErrInvalid = errors.New("invalid settings")

// maxFileSize bounds what Parse reads; a real settings file is a few kilobytes.
const maxFileSize = 1 << 20

// Problem is one thing wrong in a settings file.
type Problem struct {
	// Line is the 1-based line in the file; 0 when the key is not in the file
	// (a default value) or the file is not known.
	Line int
	// Key is the setting's path, e.g. "fees.adult" or "documents[3].code"
	// (the third [[documents]] block).
	Key string
	Msg string
}

// Error lists every problem found in a settings file. It is for the
// administrator (command line and log), so it is plain English text.
type Error struct {
	File     string
	Problems []Problem
}

// Error formats one problem per line: "cityid.toml:42: fees.adult: must be 0 or more (got -5)".
func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		switch {
		case e.File != "" && p.Line > 0:
			fmt.Fprintf(&b, "%s:%d: ", e.File, p.Line)
		case e.File != "":
			fmt.Fprintf(&b, "%s: ", e.File)
		}
		if p.Key != "" {
			b.WriteString(p.Key + ": ")
		}
		b.WriteString(p.Msg)
	}
	return b.String()
}

// Unwrap lets callers test errors.Is(err, ErrInvalid).
func (e *Error) Unwrap() error { return ErrInvalid }

// Load reads and validates the settings file at path. Keys missing from the
// file take their defaults. A relative card.seal_image must exist beside the file.
func Load(path string) (Settings, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Settings{}, fmt.Errorf("config: %w", err)
	}
	name := filepath.Base(path)
	s, err := Parse(name, data)
	if err != nil {
		return Settings{}, err
	}
	if img := s.Card.SealImage; img != "" {
		p := img
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(path), p)
		}
		if _, err := os.Stat(p); err != nil {
			lines := scanKeys(data)
			return Settings{}, &Error{File: name, Problems: []Problem{{
				Line: lines.line("card.seal_image"), Key: "card.seal_image",
				Msg: fmt.Sprintf("cannot read the image: %v", errors.Unwrap(err)),
			}}}
		}
	}
	return s, nil
}

// Parse parses and validates settings text; name (usually the file name) prefixes errors.
func Parse(name string, data []byte) (Settings, error) {
	return parseOnto(Default(), name, data)
}

// WriteDefault writes the commented New Haven settings to path, creating its
// directory. It refuses to overwrite an existing file.
func WriteDefault(path string) error {
	data, err := ProfileText(DefaultProfile)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("config: %s already exists; not overwriting it: %w", path, err)
		}
		return fmt.Errorf("config: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("config: writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("config: writing %s: %w", path, err)
	}
	return nil
}

// parseOnto decodes data over base, then validates.
func parseOnto(base Settings, name string, data []byte) (Settings, error) {
	if len(data) > maxFileSize {
		return Settings{}, &Error{File: name, Problems: []Problem{{Msg: fmt.Sprintf("file is larger than %d bytes", maxFileSize)}}}
	}
	s := base
	clearCollections(&s)
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&s)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return Settings{}, &Error{File: name, Problems: []Problem{{
				Line: pe.Position.Line, Key: pe.LastKey, Msg: strings.TrimPrefix(pe.Message, "toml: "),
			}}}
		}
		return Settings{}, &Error{File: name, Problems: []Problem{decodeProblem(err, data)}}
	}
	restoreCollections(&s, base, md)

	lines := scanKeys(data)
	probs := unknownKeys(md, lines)
	for _, p := range s.problems() {
		p.Line = lines.line(p.Key)
		probs = append(probs, p)
	}
	if len(probs) > 0 {
		// In file order, as an administrator reads; problems with no line last.
		slices.SortStableFunc(probs, func(a, b Problem) int {
			return cmp.Compare(lineOrder(a.Line), lineOrder(b.Line))
		})
		return Settings{}, &Error{File: name, Problems: probs}
	}
	return s, nil
}

func lineOrder(line int) int {
	if line == 0 {
		return math.MaxInt
	}
	return line
}

var (
	decodeErrRE = regexp.MustCompile(`^toml: (?:line (\d+) )?\(last key "([^"]*)"\): (.*)$`)
	typeErrRE   = regexp.MustCompile(`^incompatible types: TOML value has type (\S+); destination has type (\S+)$`)
)

// decodeProblem turns the decoder's type errors ("toml: line 3 (last key
// "fees.adult"): incompatible types: ...") into a Problem in plain words.
func decodeProblem(err error, data []byte) Problem {
	m := decodeErrRE.FindStringSubmatch(err.Error())
	if m == nil {
		return Problem{Msg: strings.TrimPrefix(err.Error(), "toml: ")}
	}
	p := Problem{Key: m[2], Msg: m[3]}
	lines := scanKeys(data)
	if n, err := strconv.Atoi(m[1]); err == nil {
		p.Line = n
	} else {
		p.Line = lines.line(p.Key)
	}
	t := typeErrRE.FindStringSubmatch(m[3])
	if t == nil {
		return p
	}
	got := kindOfGoType(t[1])
	want := map[string]string{
		"integer": "a whole number", "float": "a number", "boolean": "true or false",
		"string": "text in quotes", "slice": `a list like ["a", "b"]`, "map": "a table",
	}[t[2]]
	if want == "" {
		want = "a " + t[2]
	}
	p.Msg = fmt.Sprintf("must be %s (got %s)", want, got)
	// In [[documents]] blocks the decoder names the key without its block
	// and reports the last block's line: find the block whose value has the
	// wrong kind.
	if at := lines.all[p.Key]; len(at) > 1 {
		text := strings.Split(string(data), "\n")
		for _, n := range at {
			if n <= len(text) && kindOfValue(text[n-1]) == got {
				p.Line = n
				break
			}
		}
	}
	return p
}

// kindOfGoType names the decoder's Go type of a TOML value in plain words.
func kindOfGoType(t string) string {
	switch {
	case t == "string":
		return "text"
	case t == "int64":
		return "a whole number"
	case t == "float64":
		return "a decimal number"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map"):
		return "a table"
	case strings.Contains(t, "time"):
		return "a date"
	}
	return t
}

var dateRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}|^[0-9]{2}:[0-9]{2}`)

// kindOfValue guesses the kind of the value on a "key = value" line, in the
// words of kindOfGoType.
func kindOfValue(line string) string {
	_, v, ok := strings.Cut(line, "=")
	if !ok {
		return ""
	}
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return ""
	case v[0] == '"' || v[0] == '\'':
		return "text"
	case v[0] == '[':
		return "a list"
	case v[0] == '{':
		return "a table"
	case strings.HasPrefix(v, "true") || strings.HasPrefix(v, "false"):
		return "true or false"
	case dateRE.MatchString(v):
		return "a date"
	case !strings.HasPrefix(v, "0x") && strings.ContainsAny(strings.Fields(v)[0], ".eEn"):
		return "a decimal number" // also inf and nan
	}
	return "a whole number"
}

// collections lists the slice and map settings. The TOML decoder reuses a
// slice's existing elements and merges into an existing map, so a list in the
// file would mix with the defaults under it; these are cleared before
// decoding and the defaults restored only where the file is silent.
func collections(s *Settings) []struct {
	key []string
	ptr any
} {
	return []struct {
		key []string
		ptr any
	}{
		{[]string{"program", "title"}, &s.Program.Title},
		{[]string{"program", "languages"}, &s.Program.Languages},
		{[]string{"fees", "payment_methods"}, &s.Fees.PaymentMethods},
		{[]string{"fees", "waiver_reasons"}, &s.Fees.WaiverReasons},
		{[]string{"card", "printed_fields"}, &s.Card.PrintedFields},
		{[]string{"documents"}, &s.Documents},
		{[]string{"review", "reject_reasons"}, &s.Review.RejectReasons},
		{[]string{"review", "single_person_sites"}, &s.Review.SinglePersonSites},
	}
}

func clearCollections(s *Settings) {
	for _, c := range collections(s) {
		switch p := c.ptr.(type) {
		case *[]string:
			*p = nil
		case *map[string]string:
			*p = nil
		case *[]Document:
			*p = nil
		default:
			panic(fmt.Sprintf("config: collection %v has unhandled type %T", c.key, p))
		}
	}
}

func restoreCollections(dst *Settings, src Settings, md toml.MetaData) {
	from := collections(&src)
	for i, c := range collections(dst) {
		if md.IsDefined(c.key...) {
			continue
		}
		switch p := c.ptr.(type) {
		case *[]string:
			*p = append([]string(nil), *from[i].ptr.(*[]string)...)
		case *map[string]string:
			m := map[string]string{}
			for k, v := range *from[i].ptr.(*map[string]string) {
				m[k] = v
			}
			*p = m
		case *[]Document:
			docs := append([]Document(nil), *from[i].ptr.(*[]Document)...)
			for j := range docs {
				docs[j].Names = copyMap(docs[j].Names)
			}
			*p = docs
		}
	}
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// unknownKeys reports every key the file defines that Settings does not
// have, at each line it appears, naming only the outermost unknown table.
func unknownKeys(md toml.MetaData, lines keyLines) []Problem {
	undecoded := md.Undecoded()
	isUnknown := map[string]bool{}
	for _, k := range undecoded {
		isUnknown[strings.Join(k, ".")] = true
	}
	var probs []Problem
	reported := map[string]bool{}
	for _, k := range undecoded {
		if reported[strings.Join(k, ".")] {
			continue
		}
		reported[strings.Join(k, ".")] = true
		inner := false
		for n := 1; n < len(k); n++ {
			if isUnknown[strings.Join(k[:n], ".")] {
				inner = true
				break
			}
		}
		if inner {
			continue
		}
		key := strings.Join(k, ".")
		msg := "unknown setting"
		if s := suggest(k); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		at := lines.all[key]
		if len(at) == 0 {
			at = []int{0}
		}
		for _, line := range at {
			probs = append(probs, Problem{Line: line, Key: key, Msg: msg})
		}
	}
	return probs
}
