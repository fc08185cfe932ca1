package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// views holds every page template, each a clone of the shared layout and
// partials with its own "content", parsed once at start. shells are the
// same pages with "content" replaced by the page's Body, content rendered
// before (see formCache).
type views struct {
	pages  map[string]*template.Template
	shells map[string]*template.Template
}

// templateFuncs are the template helpers. Times are the page's methods
// (DateTime, Time): they need its language as well as the time zone.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"inc":  func(i int) int { return i + 1 }, // rows are counted from 1 for people
		"list": func(s ...string) []string { return s },
		"dataURL": func(mime string, b []byte) template.URL {
			// Only our own re-encoded images reach here (photo.Normalize, auth QR).
			return template.URL("data:" + mime + ";base64," + encodeBase64(b))
		},
	}
}

func loadViews() (*views, error) {
	base, err := template.New("base").Funcs(templateFuncs()).ParseFS(templateFiles, "templates/_*.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	entries, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	v := &views{pages: map[string]*template.Template{}, shells: map[string]*template.Template{}}
	for _, e := range entries {
		name := strings.TrimSuffix(path.Base(e), ".html")
		if strings.HasPrefix(name, "_") {
			continue
		}
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		if _, err := t.ParseFS(templateFiles, e); err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", e, err)
		}
		v.pages[name] = t
		sh, err := t.Clone()
		if err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		if _, err := sh.Parse(`{{define "content"}}{{.Body}}{{end}}`); err != nil {
			return nil, fmt.Errorf("web: shell of %s: %w", e, err)
		}
		v.shells[name] = sh
	}
	return v, nil
}

// render executes a page into a buffer first, so a template error becomes
// a clean 500 instead of half a page.
func (v *views) render(w http.ResponseWriter, status int, name, tmpl string, data any) error {
	return v.execute(w, status, v.pages, name, tmpl, data)
}

// renderShell is render of the layout around p.Body, the page's content
// rendered before.
func (v *views) renderShell(w http.ResponseWriter, status int, name string, p *page) error {
	return v.execute(w, status, v.shells, name, "layout", p)
}

// content renders only a page's "content" (for renderShell).
func (v *views) content(name string, p *page) (string, error) {
	t, ok := v.pages[name]
	if !ok {
		return "", fmt.Errorf("web: no template %q", name)
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "content", p); err != nil {
		return "", fmt.Errorf("web: render %s: %w", name, err)
	}
	return b.String(), nil
}

func (v *views) execute(w http.ResponseWriter, status int, set map[string]*template.Template, name, tmpl string, data any) error {
	t, ok := set[name]
	if !ok {
		return fmt.Errorf("web: no template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, tmpl, data); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

func (s *Server) static() (http.Handler, error) {
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	}), nil
}
