package web

import (
	"errors"
	"strings"
	"sync"

	"github.com/cityid/cityid/internal/person"
)

// formCache keeps the content of a blank form (the intake form a clerk
// opens for every applicant) rendered once per language and calendar day:
// nothing in it depends on who asks but the one value each request draws
// fresh, its idempotency key. Settings (documents, fees, payment methods)
// are read once at start and translations are embedded, and the evidence
// check and fee are judged on a day, so language and day are the whole key.
// The layout around it (navigation, the signed-in name) is rendered per
// request. Rendering the content was a quarter of a server's CPU under an
// intake load.
type formCache struct {
	mu     sync.Mutex
	marker string // stands for the per-request value while rendering
	day    person.Date
	byLang map[string]splitContent
}

// splitContent is rendered content cut where the per-request value goes.
type splitContent struct{ head, tail string }

func (sc splitContent) with(value string) string { return sc.head + value + sc.tail }

// errMarker means the marker did not appear exactly once in what was
// rendered: the template lost (or repeated) the per-request value.
var errMarker = errors.New("web: form cache: the per-request value is not in the rendered content exactly once")

// get returns the content for lang on day, rendering it with render(marker)
// when it is not kept yet. render gets a random value it must put where the
// per-request value goes, unescaped (hexadecimal needs no escaping).
func (fc *formCache) get(lang string, day person.Date, render func(marker string) (string, error)) (splitContent, error) {
	fc.mu.Lock()
	if fc.marker == "" {
		m, err := newIdempotencyKey()
		if err != nil {
			fc.mu.Unlock()
			return splitContent{}, err
		}
		fc.marker = m
	}
	if fc.day != day {
		fc.day, fc.byLang = day, map[string]splitContent{}
	}
	sc, ok := fc.byLang[lang]
	marker := fc.marker
	fc.mu.Unlock()
	if ok {
		return sc, nil
	}
	// Rendered outside the lock: two first requests may both render, and
	// one of the equal results is kept.
	out, err := render(marker)
	if err != nil {
		return splitContent{}, err
	}
	head, tail, found := strings.Cut(out, marker)
	if !found || strings.Contains(tail, marker) {
		return splitContent{}, errMarker
	}
	sc = splitContent{head: head, tail: tail}
	fc.mu.Lock()
	if fc.day == day {
		fc.byLang[lang] = sc
	}
	fc.mu.Unlock()
	return sc, nil
}
