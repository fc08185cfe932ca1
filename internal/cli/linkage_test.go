package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/dedup"
	"github.com/cityid/cityid/internal/linkage"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/synth"
)

// writeFEBRL writes n synthetic residents in FEBRL format, with a duplicate
// application for every fourth.
func writeFEBRL(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, state, date_of_birth, soc_sec_id\r\n")
	row := func(id string, p person.Person) {
		dob := strings.ReplaceAll(p.DateOfBirth.String(), "-", "")
		fmt.Fprintf(&b, "%s, %s, %s, , %s, %s, %s, %s, %s, %s, \r\n", id, p.GivenNames, p.Surnames(),
			p.Address.Line1, p.Address.Line2, p.Address.City, p.Address.PostalCode, p.Address.State, dob)
	}
	g := synth.New(21)
	for i := 0; i < n; i++ {
		p := g.Person()
		row(fmt.Sprintf("rec-%d-org", i), p)
		if i%4 == 0 {
			row(fmt.Sprintf("rec-%d-dup-0", i), g.Duplicate(p))
		}
	}
	path := filepath.Join(t.TempDir(), "people.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Run(context.Background(), IO{In: strings.NewReader(""), Out: &out, Err: &errb}, args)
	return code, out.String(), errb.String()
}

func TestLinkageCommand(t *testing.T) {
	path := writeFEBRL(t, 400)
	for _, mode := range []string{"plain", "bloom"} {
		t.Run(mode, func(t *testing.T) {
			code, out, errOut := runCLI("linkage", "--format", "febrl", "--mode", mode, "--eval", path)
			if code != 0 {
				t.Fatalf("linkage exit = %d, want 0; stderr:\n%s", code, errOut)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if lines[0] != "id_l,id_r,probability" {
				t.Errorf("first line = %q, want the CSV header", lines[0])
			}
			if !strings.HasPrefix(lines[1], "rec-") || strings.Count(lines[1], ",") != 2 {
				t.Errorf("second line = %q, want id_l,id_r,probability", lines[1])
			}
			var ev struct {
				Records    int     `json:"records"`
				Candidates int     `json:"candidates"`
				Precision  float64 `json:"precision"`
				Recall     float64 `json:"recall"`
				F1         float64 `json:"f1"`
				Seconds    float64 `json:"seconds"`
			}
			last := lines[len(lines)-1]
			if err := json.Unmarshal([]byte(last), &ev); err != nil {
				t.Fatalf("last line %q is not JSON: %v", last, err)
			}
			if ev.Records != 500 || ev.Candidates == 0 || ev.F1 < 0.85 || ev.Seconds <= 0 {
				t.Errorf("evaluation = %+v, want 500 records, candidates, F1 ≥ 0.85", ev)
			}
		})
	}
}

func TestLinkageCommandOutFileAndCSV(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	os.WriteFile(in, []byte("id,first,last,dob,cluster\n1,José,García,1980-03-07,a\n2,Pepe,Garcia,1980-07-03,a\n3,Ana,Pérez,1991-01-01,b\n"), 0o600)
	outPath := filepath.Join(dir, "pairs.csv")
	code, out, errOut := runCLI("linkage", "--format", "csv", "--map", "id=id,given_name=first,surname=last,date_of_birth=dob",
		"--truth-column", "cluster", "--eval", "--out", outPath, in)
	if code != 0 {
		t.Fatalf("exit = %d; stderr: %s", code, errOut)
	}
	pairs, _ := os.ReadFile(outPath)
	if got := string(pairs); !strings.Contains(got, "1,2,") {
		t.Errorf("pairs file = %q, want the pair 1,2", got)
	}
	if !strings.HasPrefix(out, "{") || !strings.Contains(out, `"recall":1`) {
		t.Errorf("stdout = %q, want only the evaluation line with recall 1", out)
	}
}

func TestLinkageCommandErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("name,age\nana,3\n"), 0o600)
	empty := filepath.Join(dir, "empty.csv")
	os.WriteFile(empty, nil, 0o600)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no file", []string{"linkage"}, 2, "give one file"},
		{"three files", []string{"linkage", bad, bad, bad}, 2, "give one file"},
		{"unknown format", []string{"linkage", "--format", "xml", bad}, 2, "unknown --format"},
		{"unknown mode", []string{"linkage", "--mode", "fast", bad}, 2, "unknown --mode"},
		{"csv without map", []string{"linkage", "--format", "csv", bad}, 2, "--map"},
		{"missing file", []string{"linkage", filepath.Join(dir, "nope.csv")}, 1, "no such file"},
		{"wrong columns", []string{"linkage", bad}, 1, "column missing"},
		{"empty file", []string{"linkage", empty}, 1, "no header"},
		{"bad mapping", []string{"linkage", "--format", "csv", "--map", "shoe=size", bad}, 1, "unknown field"},
		{"short key", []string{"linkage", "--mode", "bloom", "--key-file", bad, bad}, 1, "shorter than 32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("cityid %v = exit %d, stderr %q; want exit %d mentioning %q", tt.args, code, errOut, tt.code, tt.want)
			}
		})
	}
}

// TestLinkageGenerateAndEvaluate makes a small city with 'linkage generate'
// and evaluates the engine on it with the relations breakdown, as
// docs/linkage.md tells an operator to.
func TestLinkageGenerateAndEvaluate(t *testing.T) {
	dir := t.TempDir()
	code, _, errOut := runCLI("linkage", "generate", "--people", "1500", "--seed", "4", "--out", dir)
	if code != 0 {
		t.Fatalf("generate exit = %d; stderr:\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "people: 1500/1500") || !strings.Contains(errOut, "1500 people") {
		t.Errorf("generate stderr = %q, want progress and a summary", errOut)
	}
	// Each file's meter ends at its row count, the header included: the
	// applications twice, then the relations.
	apps := regexp.MustCompile(`(\d+) applications`).FindStringSubmatch(errOut)
	if apps == nil {
		t.Fatalf("generate stderr = %q, want the number of applications", errOut)
	}
	n, _ := strconv.Atoi(apps[1])
	for _, f := range []string{"city.febrl.csv", "city.csv"} {
		want := fmt.Sprintf("%s: %d/%d (100%%", f, n+1, n+1)
		if !strings.Contains(errOut, want) {
			t.Errorf("generate stderr = %q, want %q", errOut, want)
		}
	}
	if !strings.Contains(errOut, "relations.csv: ") {
		t.Errorf("generate stderr = %q, want relations.csv's progress", errOut)
	}
	for _, f := range []string{"city.febrl.csv", "city.csv", "relations.csv"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() < 100 {
			t.Errorf("generate wrote %s: %v", f, err)
		}
	}
	code, out, errOut := runCLI("linkage", "--format", "febrl", "--eval", "--out", filepath.Join(dir, "pairs.csv"),
		"--relations", filepath.Join(dir, "relations.csv"), filepath.Join(dir, "city.febrl.csv"))
	if code != 0 {
		t.Fatalf("linkage exit = %d; stderr:\n%s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("stdout = %q, want the evaluation line and the breakdown line", out)
	}
	var ev struct{ F1 float64 }
	var bd struct {
		Movers  struct{ Pairs, Linked int }
		Related map[string]struct{ Pairs, Linked int }
	}
	if err := json.Unmarshal([]byte(lines[0]), &ev); err != nil || ev.F1 < 0.8 {
		t.Errorf("evaluation %q (err %v), want F1 ≥ 0.8", lines[0], err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &bd); err != nil {
		t.Fatalf("breakdown %q: %v", lines[1], err)
	}
	if bd.Movers.Pairs == 0 || bd.Related["spouse"].Pairs == 0 || bd.Related["parent_child"].Pairs == 0 {
		t.Errorf("breakdown = %+v, want movers, spouses and parents counted", bd)
	}
}

func TestLinkageGenerateUsage(t *testing.T) {
	code, _, errOut := runCLI("linkage", "generate", "--help")
	if code != 0 || !strings.Contains(errOut, "relations.csv") || !strings.Contains(errOut, "--people") {
		t.Errorf("generate --help = exit %d, %q; want the usage", code, errOut)
	}
	if code, _, errOut := runCLI("linkage", "generate", "--people", "0"); code != 2 || !strings.Contains(errOut, "--people") {
		t.Errorf("generate --people 0 = exit %d, %q; want a usage error", code, errOut)
	}
	for _, n := range []string{"0", "-1", "11", "NaN"} {
		if code, _, errOut := runCLI("linkage", "generate", "--people", "10", "--noise", n, "--out", t.TempDir()); code != 2 || !strings.Contains(errOut, "--noise") {
			t.Errorf("generate --noise %s = exit %d, %q; want a usage error naming --noise", n, code, errOut)
		}
	}
}

// TestLinkageModelCommand runs `cityid linkage model` on a data directory
// without decisions: nothing to learn from (a clear error), an empty list,
// a file that is not a model refused, an unknown version not activated.
func TestLinkageModelCommand(t *testing.T) {
	dir, _ := residentsDir(t, time.Now(), 0, 3)
	code, out, errOut := runCLI("linkage", "model", "--data", dir, "list")
	if code != 0 || !strings.Contains(out, "built-in model") {
		t.Fatalf("linkage model list = %d, %q, %q; want the built-in model named", code, out, errOut)
	}
	for _, verb := range []string{"estimate", "calibrate"} {
		code, _, errOut = runCLI("linkage", "model", "--data", dir, verb)
		if code == 0 || !strings.Contains(errOut, "too few reviewer decisions") {
			t.Errorf("linkage model %s with no decisions = %d, %q; want a failure saying there are too few decisions", verb, code, errOut)
		}
	}
	bad := filepath.Join(t.TempDir(), "model.json")
	if err := os.WriteFile(bad, []byte(`{"format": 1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runCLI("linkage", "model", "--data", dir, "import", bad)
	if code == 0 || !strings.Contains(errOut, "refused") {
		t.Errorf("linkage model import of a bad file = %d, %q; want refused", code, errOut)
	}
	// A model file with a calibration is stored, and the list says the
	// figures it shows are calibrated.
	m := linkage.DefaultModel()
	m.Calibration = []linkage.CalibrationPoint{{Model: 0.6, Share: 0.4}, {Model: 0.99, Share: 0.98}}
	body, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(t.TempDir(), "calibrated.json")
	if err := os.WriteFile(good, body, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI("linkage", "model", "--data", dir, "import", good); code != 0 || !strings.Contains(errOut, "stored as version 1") {
		t.Fatalf("linkage model import of a calibrated model = %d, %q; want version 1 stored", code, errOut)
	}
	if code, out, _ := runCLI("linkage", "model", "--data", dir, "list"); code != 0 || !strings.Contains(out, "FIGURES SHOWN") || !strings.Contains(out, "calibrated") {
		t.Errorf("linkage model list after importing a calibrated model:\n%s\nwant its figures called calibrated", out)
	}
	code, _, errOut = runCLI("linkage", "model", "--data", dir, "activate", "7")
	if code == 0 || !strings.Contains(errOut, "not found") {
		t.Errorf("linkage model activate 7 = %d, %q; want not found", code, errOut)
	}
	code, _, errOut = runCLI("linkage", "model", "--data", dir, "rollback")
	if code == 0 {
		t.Errorf("linkage model rollback with the built-in model active = 0, want a failure (%q)", errOut)
	}
	if code, _, _ = runCLI("linkage", "model", "--data", dir, "frobnicate"); code == 0 {
		t.Error("linkage model frobnicate succeeded")
	}
}

// TestLinkageExplainCommand asks why pairs were linked or not, as a data
// steward would: the trace must agree with the run's own output (the same
// probability for a linked pair, nothing for an unlinked one), say whether
// the two are one person, and name the blocking keys they share.
func TestLinkageExplainCommand(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCLI("linkage", "generate", "--people", "1500", "--seed", "4", "--out", dir); code != 0 {
		t.Fatalf("generate exit = %d; stderr:\n%s", code, errOut)
	}
	file := filepath.Join(dir, "city.febrl.csv")
	pairsFile := filepath.Join(dir, "pairs.csv")
	if code, _, errOut := runCLI("linkage", "--format", "febrl", "--out", pairsFile, file); code != 0 {
		t.Fatalf("linkage exit = %d; stderr:\n%s", code, errOut)
	}
	raw, err := os.ReadFile(pairsFile)
	if err != nil {
		t.Fatal(err)
	}
	linked := map[[2]string]string{}
	var some [][2]string
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n")[1:] {
		f := strings.Split(line, ",")
		linked[[2]string{f[0], f[1]}] = f[2]
		if len(some) < 4 {
			some = append(some, [2]string{f[0], f[1]})
		}
	}
	if len(some) < 4 {
		t.Fatalf("the run linked %d pairs, want some to explain", len(linked))
	}
	// Two records that share nothing: the first and the last of the file.
	ids := febrlIDs(t, file)
	far := [2]string{ids[0], ids[len(ids)-1]}

	args := []string{"linkage", "explain", "--format", "febrl", "--json", file}
	for _, p := range append(some, far) {
		args = append(args, p[0], p[1])
	}
	code, out, errOut := runCLI(args...)
	if code != 0 {
		t.Fatalf("explain exit = %d; stderr:\n%s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 {
		t.Fatalf("explain --json wrote %d lines, want one per pair (5):\n%s", len(lines), out)
	}
	for i, line := range lines {
		var tr struct {
			IDL, IDR    string `json:"-"`
			L           string `json:"id_l"`
			R           string `json:"id_r"`
			Candidate   bool
			Final       float64
			Keys        []struct{ Key, Kind string }
			Explanation struct {
				Probability float64
				Fields      []struct{ Field, Left, Right string }
			}
		}
		if err := json.Unmarshal([]byte(line), &tr); err != nil {
			t.Fatalf("line %d %q: %v", i, line, err)
		}
		if i < 4 {
			want, _ := strconv.ParseFloat(linked[[2]string{tr.L, tr.R}], 64)
			if !tr.Candidate || len(tr.Keys) == 0 || tr.Keys[0].Kind == "" {
				t.Errorf("linked pair %s/%s: candidate %v, keys %+v; want compared, with named keys", tr.L, tr.R, tr.Candidate, tr.Keys)
			}
			if fmt.Sprintf("%.6f", tr.Final) != fmt.Sprintf("%.6f", want) {
				t.Errorf("pair %s/%s: trace says %.6f, the run wrote %.6f", tr.L, tr.R, tr.Final, want)
			}
			if len(tr.Explanation.Fields) == 0 || tr.Explanation.Fields[0].Left == "" {
				t.Errorf("pair %s/%s: explanation %+v, want the compared values", tr.L, tr.R, tr.Explanation)
			}
			continue
		}
		if tr.Final != 0 || tr.Candidate || len(tr.Keys) != 0 {
			t.Errorf("unrelated pair %s/%s: final %v, candidate %v, keys %+v; want not compared and not linked", tr.L, tr.R, tr.Final, tr.Candidate, tr.Keys)
		}
	}

	// The text a person reads.
	code, out, errOut = runCLI("linkage", "explain", file, some[0][0], some[0][1], far[0], far[1])
	if code != 0 {
		t.Fatalf("explain exit = %d; stderr:\n%s", code, errOut)
	}
	p0, _ := strconv.ParseFloat(linked[some[0]], 64)
	for _, want := range []string{
		"== " + some[0][0] + " and " + some[0][1] + fmt.Sprintf(": linked, probability %.4f", p0),
		"blocking: compared",
		"field", "date_of_birth", "total weight",
		"steps: compared",
		"== " + far[0] + " and " + far[1] + ": not linked",
		"truth: different people",
		"no blocking key in common",
		"blocking: NOT compared",
		"each record's own keys:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("explain output lacks %q:\n%s", want, out)
		}
	}

	// Bloom mode: the trace follows the run that compares encodings only
	// (same key, same pairs, same probabilities) and shows the values and
	// keys it read from the file.
	keyFile := filepath.Join(dir, "key.hex")
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("5a", 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	bloomPairs := filepath.Join(dir, "bloom.csv")
	if code, _, errOut := runCLI("linkage", "--mode", "bloom", "--key-file", keyFile, "--out", bloomPairs, file); code != 0 {
		t.Fatalf("linkage --mode bloom exit = %d; stderr:\n%s", code, errOut)
	}
	if raw, err = os.ReadFile(bloomPairs); err != nil {
		t.Fatal(err)
	}
	args = []string{"linkage", "explain", "--mode", "bloom", "--key-file", keyFile, "--json", file}
	bloomLinked := map[[2]string]string{}
	for i, line := range strings.Split(strings.TrimSpace(string(raw)), "\n")[1:] {
		f := strings.Split(line, ",")
		bloomLinked[[2]string{f[0], f[1]}] = f[2]
		if i < 3 {
			args = append(args, f[0], f[1])
		}
	}
	code, out, errOut = runCLI(args...)
	if code != 0 {
		t.Fatalf("explain --mode bloom exit = %d; stderr:\n%s", code, errOut)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var tr struct {
			L     string `json:"id_l"`
			R     string `json:"id_r"`
			Final float64
			Keys  []struct {
				Key, Kind string
				Size      int
			}
			Explanation struct {
				Fields []struct{ Field, Left, Right string }
			}
		}
		if err := json.Unmarshal([]byte(line), &tr); err != nil {
			t.Fatalf("explain --mode bloom line %q: %v", line, err)
		}
		want, _ := strconv.ParseFloat(bloomLinked[[2]string{tr.L, tr.R}], 64)
		if fmt.Sprintf("%.6f", tr.Final) != fmt.Sprintf("%.6f", want) {
			t.Errorf("Bloom pair %s/%s: trace says %.6f, the Bloom run wrote %.6f", tr.L, tr.R, tr.Final, want)
		}
		if len(tr.Keys) == 0 || tr.Keys[0].Kind == "" || tr.Keys[0].Size < 2 {
			t.Errorf("Bloom pair %s/%s: keys %+v, want named keys with their block sizes", tr.L, tr.R, tr.Keys)
		}
		if len(tr.Explanation.Fields) == 0 || tr.Explanation.Fields[0].Left == "" {
			t.Errorf("Bloom pair %s/%s: explanation %+v, want the values read from the file", tr.L, tr.R, tr.Explanation)
		}
	}

	// A CSV file with its truth in a column.
	csvFile := filepath.Join(dir, "people.csv")
	rows := "id,first,last,dob,person\n1,Ana,Rivera,1990-02-03,p1\n2,Ana,Rivera Torres,1990-02-03,p1\n3,Luis,Rivera,1962-07-30,p2\n"
	if err := os.WriteFile(csvFile, []byte(rows), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI("linkage", "explain", "--format", "csv", "--map", "id=id,given_name=first,surname=last,date_of_birth=dob",
		"--truth-column", "person", csvFile, "1", "2", "1", "3")
	if code != 0 || !strings.Contains(out, "== 1 and 2: linked") || strings.Count(out, "truth: one person") != 1 || !strings.Contains(out, "truth: different people") {
		t.Errorf("explain of a CSV file with --truth-column = exit %d:\n%s%s", code, out, errOut)
	}

	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{file, ids[0]}, "give a file and pairs of record ids"},
		{[]string{file, ids[0], "rec-nobody"}, `no record with id "rec-nobody"`},
		{[]string{file, ids[0], ids[0]}, "two different records"},
		{[]string{"--format", "csv", file, ids[0], ids[1]}, "--map"},
	} {
		code, _, errOut := runCLI(append([]string{"linkage", "explain"}, bad.args...)...)
		if code == 0 || !strings.Contains(errOut, bad.want) {
			t.Errorf("explain %v = exit %d, %q; want an error saying %q", bad.args, code, errOut, bad.want)
		}
	}
}

// febrlIDs returns the record ids of a FEBRL file in order.
func febrlIDs(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n")[1:] {
		ids = append(ids, strings.TrimSpace(strings.SplitN(line, ",", 2)[0]))
	}
	return ids
}

// TestPrintCalibration: the estimate's summary says whether the figures
// shown are calibrated and, for each band that holds pairs, what the model
// said and what reviewers decided.
func TestPrintCalibration(t *testing.T) {
	var rep dedup.ModelReport
	s := &rep.Candidate
	s.Calibration[3] = linkage.CalibrationBand{From: 0.7, To: 0.9, Pairs: 10, Same: 6, MeanProbability: 0.81}
	s.Calibration[5] = linkage.CalibrationBand{From: 0.99, To: 1, Pairs: 40, Same: 40, MeanProbability: 0.998}
	s.Brier, rep.UncalibratedBrier, rep.Calibrated = 0.0123, 0.0456, true
	var b bytes.Buffer
	printCalibration(&b, rep)
	for _, want := range []string{"calibrated to the decisions it learned from (held-out Brier score 0.0123; 0.0456 without)",
		" 70– 90 %: 10 pairs; the model says 81 % on average, reviewers called 60 % one person", " 99–100 %: 40 pairs"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("calibration output lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), " 20– 50") {
		t.Errorf("an empty band is printed:\n%s", b.String())
	}
	rep.Calibrated, rep.CalibrationNote = false, "linkage: too few reviewer decisions to learn from: 12 decisions to calibrate on, need 40"
	b.Reset()
	printCalibration(&b, rep)
	if !strings.Contains(b.String(), "not calibrated: linkage: too few reviewer decisions") {
		t.Errorf("an uncalibrated model's summary does not say why:\n%s", b.String())
	}
}
