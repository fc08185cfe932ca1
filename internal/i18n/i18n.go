// Package i18n translates message keys into the languages the program ships.
//
// Catalogs are flat JSON objects (key → text) embedded from catalog/<lang>/*.json;
// each domain keeps its own file so teams do not edit the same file. Text may
// hold named placeholders like {n} or {name}. A key with plural forms has
// variants "<key>.one" and "<key>.other", chosen by the "n" argument.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/text/language"
)

//go:embed catalog
var files embed.FS

// Bundle holds every catalog, loaded once at start.
type Bundle struct {
	langs    []string
	messages map[string]map[string]string
	matcher  language.Matcher
}

// Load reads the embedded catalogs. The first language in order is the fallback.
func Load() (*Bundle, error) { return load(files, "catalog") }

func load(fsys fs.FS, root string) (*Bundle, error) {
	b := &Bundle{messages: map[string]map[string]string{}}
	dirs, err := fs.ReadDir(fsys, root)
	if err != nil {
		return nil, fmt.Errorf("i18n: %w", err)
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		lang := d.Name()
		msgs := map[string]string{}
		entries, err := fs.ReadDir(fsys, path.Join(root, lang))
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			p := path.Join(root, lang, e.Name())
			raw, err := fs.ReadFile(fsys, p)
			if err != nil {
				return nil, fmt.Errorf("i18n: %w", err)
			}
			var m map[string]string
			if err := json.Unmarshal(raw, &m); err != nil {
				return nil, fmt.Errorf("i18n: %s: %w", p, err)
			}
			for k, v := range m {
				if _, dup := msgs[k]; dup {
					return nil, fmt.Errorf("i18n: %s: key %q defined twice", p, k)
				}
				msgs[k] = v
			}
		}
		b.messages[lang] = msgs
		b.langs = append(b.langs, lang)
	}
	// English first: it is the fallback for a missing key.
	sort.Slice(b.langs, func(i, j int) bool {
		if (b.langs[i] == "en") != (b.langs[j] == "en") {
			return b.langs[i] == "en"
		}
		return b.langs[i] < b.langs[j]
	})
	if len(b.langs) == 0 {
		return nil, fmt.Errorf("i18n: no catalogs in %s", root)
	}
	tags := make([]language.Tag, len(b.langs))
	for i, l := range b.langs {
		tags[i] = language.Make(l)
	}
	b.matcher = language.NewMatcher(tags)
	return b, nil
}

// Languages lists the shipped language codes, fallback first.
func (b *Bundle) Languages() []string { return append([]string(nil), b.langs...) }

// Has reports whether lang is shipped.
func (b *Bundle) Has(lang string) bool { _, ok := b.messages[lang]; return ok }

// Keys returns the sorted keys of lang's catalog.
func (b *Bundle) Keys(lang string) []string {
	keys := make([]string, 0, len(b.messages[lang]))
	for k := range b.messages[lang] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Match picks the best shipped language for an Accept-Language header value.
func (b *Bundle) Match(acceptLanguage string) string {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return b.langs[0]
	}
	_, idx, conf := b.matcher.Match(tags...)
	if conf == language.No {
		return b.langs[0]
	}
	return b.langs[idx]
}

// T translates key into lang. args are name/value pairs filling {name}
// placeholders; an "n" argument selects the .one/.other plural form.
// A missing key yields the key itself so the gap is visible, never a blank.
func (b *Bundle) T(lang, key string, args ...any) string {
	msg, ok := b.lookup(lang, key, args)
	if !ok {
		msg, ok = b.lookup(b.langs[0], key, args)
	}
	if !ok {
		return key
	}
	for i := 0; i+1 < len(args); i += 2 {
		name, _ := args[i].(string)
		msg = strings.ReplaceAll(msg, "{"+name+"}", fmt.Sprint(args[i+1]))
	}
	return msg
}

func (b *Bundle) lookup(lang, key string, args []any) (string, bool) {
	msgs := b.messages[lang]
	if n, ok := pluralArg(args); ok {
		form := key + ".other"
		if n == 1 {
			form = key + ".one"
		}
		if m, ok := msgs[form]; ok {
			return m, true
		}
	}
	m, ok := msgs[key]
	return m, ok
}

func pluralArg(args []any) (int, bool) {
	for i := 0; i+1 < len(args); i += 2 {
		if args[i] == "n" {
			switch v := args[i+1].(type) {
			case int:
				return v, true
			case int64:
				return int(v), true
			case string:
				n, err := strconv.Atoi(v)
				return n, err == nil
			}
		}
	}
	return 0, false
}

// Printer is a Bundle bound to one language, handy in templates and handlers.
type Printer struct {
	b    *Bundle
	Lang string
}

// Printer returns a Printer for lang (the fallback language if lang is not shipped).
func (b *Bundle) Printer(lang string) Printer {
	if !b.Has(lang) {
		lang = b.langs[0]
	}
	return Printer{b: b, Lang: lang}
}

// T translates key; see Bundle.T.
func (p Printer) T(key string, args ...any) string { return p.b.T(p.Lang, key, args...) }
