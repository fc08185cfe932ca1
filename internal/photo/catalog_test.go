package photo

import (
	"regexp"
	"slices"
	"testing"

	"github.com/cityid/cityid/internal/i18n"
)

// TestMessageKeys checks that every key Normalize can return is translated
// and that its Args fill exactly the placeholders of the text.
func TestMessageKeys(t *testing.T) {
	b, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := DefaultSpec()
	errs := []*Error{
		notImage("").(*Error),
		corrupt("jpeg", nil).(*Error),
		newError(ErrTooSmall, KeyTooSmall, "", "min_width", s.MinWidth, "min_height", s.MinHeight),
		newError(ErrTooLarge, KeyTooLarge, "", "max_mb", megabytes(s.MaxUploadBytes)),
		newError(ErrTooManyPixels, KeyTooManyPixels, "", "max_megapixels", s.MaxPixels/1_000_000),
	}
	ph := regexp.MustCompile(`\{[a-z_]+\}`)
	for _, e := range errs {
		for _, lang := range []string{"en", "es"} {
			msg := b.T(lang, e.Key, e.Args...)
			if msg == e.Key {
				t.Errorf("T(%s, %s) is untranslated", lang, e.Key)
			}
			if left := ph.FindAllString(msg, -1); len(left) > 0 {
				t.Errorf("T(%s, %s) = %q, placeholders %v not filled by Args %v", lang, e.Key, msg, left, e.Args)
			}
		}
	}
	for _, k := range []string{KeyNotImage, KeyCorrupt, KeyTooSmall, KeyTooLarge, KeyTooManyPixels} {
		if !slices.ContainsFunc(errs, func(e *Error) bool { return e.Key == k }) {
			t.Errorf("key %s not covered", k)
		}
	}
}
