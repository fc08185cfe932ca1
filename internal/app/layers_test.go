package app_test

// Guard tests in the spirit of tailscale's (tstest/deptest, the doc-comment
// checks): the layering of issue 9 is kept by tests that fail on the first
// import or field that breaks it, not by review alone.

import (
	"encoding/json"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/cityid/cityid/internal/app"
)

const module = "github.com/cityid/cityid"

// goPackage is what `go list -json` says of a package.
type goPackage struct {
	ImportPath   string
	Dir          string
	Imports      []string
	TestImports  []string
	XTestImports []string
	GoFiles      []string
}

// listPackages runs `go list -json` over the module once.
func listPackages(t *testing.T) []goPackage {
	t.Helper()
	if testing.Short() {
		t.Skip("runs go list; skipped in -short mode")
	}
	cmd := exec.Command("go", "list", "-json", module+"/...")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []goPackage
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p goPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d packages; is the test run inside the module?", len(pkgs))
	}
	return pkgs
}

func rel(path string) string { return strings.TrimPrefix(path, module+"/") }

// surfaces are the HTTP surfaces: they get app.Services, never the
// infrastructure behind them.
var surfaces = []string{"internal/web", "internal/api", "internal/resident"}

// infrastructure is what a surface must not import: the database, the
// vault (keys, sealing) and the audit log's writer side. Reads go through
// domain services that check the purpose and audit in one transaction.
var infrastructure = []string{"internal/store", "internal/vault", "internal/audit"}

// TestSurfacesImportNoInfrastructure fails when web, api or resident
// imports store, vault or audit.
func TestSurfacesImportNoInfrastructure(t *testing.T) {
	for _, p := range listPackages(t) {
		if !slices.Contains(surfaces, rel(p.ImportPath)) {
			continue
		}
		for _, imp := range p.Imports {
			if slices.Contains(infrastructure, rel(imp)) {
				t.Errorf("%s imports %s: use a service of app.Services instead", rel(p.ImportPath), rel(imp))
			}
		}
	}
}

// TestSurfacesUseServicesOnly fails when a surface's code names app.App
// (the data directory with its database, vault and keys) rather than
// app.Services.
func TestSurfacesUseServicesOnly(t *testing.T) {
	for _, p := range listPackages(t) {
		if !slices.Contains(surfaces, rel(p.ImportPath)) {
			continue
		}
		fset := token.NewFileSet()
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			local := ""
			for _, imp := range f.Imports {
				if strings.Trim(imp.Path.Value, `"`) == module+"/internal/app" {
					local = "app"
					if imp.Name != nil {
						local = imp.Name.Name
					}
				}
			}
			if local == "" {
				continue
			}
			ast.Inspect(f, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == local && sel.Sel.Name != "Services" {
					t.Errorf("%s: %s uses app.%s; a surface gets *app.Services only", rel(p.ImportPath), fset.Position(sel.Pos()), sel.Sel.Name)
				}
				return true
			})
		}
	}
}

// TestServicesHoldNoInfrastructure fails when app.Services grows a field
// that is (or points to) the database, the vault or key material.
func TestServicesHoldNoInfrastructure(t *testing.T) {
	forbidden := map[string]bool{
		module + "/internal/store":              true,
		module + "/internal/vault":              true,
		module + "/internal/credential/signing": true,
		module + "/internal/masterkey":          true,
	}
	var check func(path string, typ reflect.Type, depth int)
	check = func(path string, typ reflect.Type, depth int) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
		}
		if forbidden[typ.PkgPath()] {
			t.Errorf("app.Services%s is a %s", path, typ)
		}
		if typ.Kind() == reflect.Struct && typ.PkgPath() == module+"/internal/app" && depth < 3 {
			for i := range typ.NumField() {
				f := typ.Field(i)
				check(path+"."+f.Name, f.Type, depth+1)
			}
		}
	}
	check("", reflect.TypeOf(app.Services{}), 0)
}

// httpAllowed are the packages that may import net/http: the surfaces,
// the shared HTTP layer, the server's wiring and metrics endpoint, the
// binary, and notify, an outbound adapter whose senders call SMS
// providers' HTTP APIs (not a domain package); field/uplink is the same for
// a field station: its client of the city's server.
var httpAllowed = []string{
	"internal/web", "internal/api", "internal/resident", "internal/httplayer",
	"internal/cli", "internal/metrics", "cmd/cityid", "internal/notify",
	"internal/field/uplink",
	"internal/oid4vci",  // the OpenID4VCI surface wallets speak to (the card service does the work)
	"internal/loadtest", // the load tool: an HTTP client of a running server, like the CLI
}

// httpAllowlist are domain and credential packages that still import
// net/http. It only shrinks: each entry is a debt with its reason.
var httpAllowlist = map[string]string{
	// Service.StatusListHandler, JWKSHandler and COSEKeysHandler serve the
	// published status lists and keys; they belong in a surface package.
	"internal/card": "serves status lists and keys itself",
	// Response.ServeHTTP serves a status-list token; same move as card's.
	"internal/credential/statuslist": "serves the status list itself",
	// HTTPFetch fetches published status lists as a client (the verify
	// subcommand); a client, not a server, but it belongs beside its caller.
	"internal/verify": "fetches status lists over HTTP",
}

// TestDomainImportsNoHTTP fails when a domain or credential package imports
// net/http (or anything under it).
func TestDomainImportsNoHTTP(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range listPackages(t) {
		r := rel(p.ImportPath)
		if slices.Contains(httpAllowed, r) {
			continue
		}
		for _, imp := range p.Imports {
			if imp != "net/http" && !strings.HasPrefix(imp, "net/http/") {
				continue
			}
			if _, ok := httpAllowlist[r]; ok {
				seen[r] = true
				continue
			}
			t.Errorf("%s imports %s: a domain or credential package knows nothing of HTTP", r, imp)
		}
	}
	for r := range httpAllowlist {
		if !seen[r] {
			t.Errorf("%s no longer imports net/http: remove it from httpAllowlist", r)
		}
	}
}

// drivers are the database drivers' import paths (prefixes).
var drivers = []string{"github.com/jackc/pgx", "modernc.org/sqlite", "github.com/lib/pq", "github.com/mattn/go-sqlite3"}

// TestOnlyStoreImportsDrivers fails when a package other than store
// imports a database driver, in its code or its tests.
func TestOnlyStoreImportsDrivers(t *testing.T) {
	for _, p := range listPackages(t) {
		r := rel(p.ImportPath)
		if r == "internal/store" {
			continue
		}
		all := slices.Concat(p.Imports, p.TestImports, p.XTestImports)
		for _, imp := range all {
			for _, d := range drivers {
				if strings.HasPrefix(imp, d) {
					t.Errorf("%s imports the database driver %s: only internal/store talks to the database", r, imp)
				}
			}
		}
	}
}

// TestExportedHaveDocComments fails when a package under internal/, or an
// exported identifier in it (functions, types, methods, constants and
// variables outside a documented group), has no doc comment. It reads the
// files go list names for this build (build tags respected), tests left out.
func TestExportedHaveDocComments(t *testing.T) {
	var missing []string
	for _, p := range listPackages(t) {
		name := rel(p.ImportPath)
		if !strings.HasPrefix(name, "internal/") || len(p.GoFiles) == 0 {
			continue
		}
		fset := token.NewFileSet()
		files := make([]*ast.File, 0, len(p.GoFiles))
		for _, f := range p.GoFiles {
			af, err := parser.ParseFile(fset, filepath.Join(p.Dir, f), nil, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, af)
		}
		dp, err := doc.NewFromFiles(fset, files, p.ImportPath)
		if err != nil {
			t.Fatal(err)
		}
		missing = append(missing, undocumented(name, dp)...)
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("%s has no doc comment", m)
	}
}

func undocumented(pkg string, dp *doc.Package) []string {
	var out []string
	miss := func(name, comment string) {
		if ast.IsExported(name) && strings.TrimSpace(comment) == "" {
			out = append(out, pkg+"."+name)
		}
	}
	values := func(prefix string, vs []*doc.Value) {
		for _, v := range vs {
			if v.Doc == "" {
				for _, n := range v.Names {
					miss(prefix+n, "")
				}
			}
		}
	}
	if strings.TrimSpace(dp.Doc) == "" {
		out = append(out, pkg+" (package comment)")
	}
	for _, f := range dp.Funcs {
		miss(f.Name, f.Doc)
	}
	values("", dp.Consts)
	values("", dp.Vars)
	for _, ty := range dp.Types {
		miss(ty.Name, ty.Doc)
		for _, f := range ty.Funcs {
			miss(f.Name, f.Doc)
		}
		for _, m := range ty.Methods {
			if ast.IsExported(ty.Name) {
				miss(ty.Name+"."+m.Name, m.Doc)
			}
		}
		values("", ty.Consts)
		values("", ty.Vars)
	}
	return out
}
