package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cityid/cityid/internal/synth"
)

// cmdLinkageGenerate writes a synthetic city's applications with truth.
func cmdLinkageGenerate(_ context.Context, stdio IO, args []string) error {
	fs := newFlagSet(stdio, "linkage generate", "linkage generate --people N [--seed S] [--noise X] [--out DIR]",
		"Make a synthetic New England city to evaluate duplicate detection on: households\n"+
			"(couples, children, twins, fathers and sons of one name, grandparents, roommates),\n"+
			"Hispanic, Haitian, Vietnamese, Arabic, Anglo and other naming, moves, marriages and\n"+
			"years of applications typed by clerks. Writes, in DIR:\n"+
			"  city.febrl.csv   the applications in FEBRL layout (rec-N-org / rec-N-dup-M ids)\n"+
			"  city.csv         the same with every field and the truth (person_id, moved)\n"+
			"  relations.csv    pairs of different people who look alike (twin, spouse, namesake…)\n"+
			"Evaluate with: cityid linkage --format febrl --eval --relations DIR/relations.csv DIR/city.febrl.csv")
	people := fs.Int("people", 10000, "distinct applicants (10000, 100000, 1000000…)")
	seed := fs.Uint64("seed", 1, "random seed; one seed always makes the same city")
	out := fs.String("out", "city", "directory to write into (created if missing)")
	noise := fs.Float64("noise", 1, "scale of clerks' slips (typos, dates mistyped or left out, empty boxes):\n2 doubles them, to see how detection holds up with messier records; 1 is the measured rates")
	lower := fs.Bool("lowercase", false, "write the FEBRL file in lower case, as FEBRL's own files are")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stdio.Err, "cityid linkage generate: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	if *people < 1 || *people > 20_000_000 {
		fmt.Fprintln(stdio.Err, "cityid linkage generate: --people must be between 1 and 20000000")
		return errUsage
	}
	if !(*noise > 0 && *noise <= 10) {
		fmt.Fprintln(stdio.Err, "cityid linkage generate: --noise must be above 0 and at most 10 (1 is the usual rates, 2 twice as many slips)")
		return errUsage
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	m := newMeter(stdio.Err, "people", int64(*people))
	city := synth.NewCity(synth.CityOptions{People: *people, Seed: *seed, Noise: *noise, Progress: func(done, _ int) { m.Set(int64(done)) }})
	m.Done()
	// Writing a million people's files takes minutes: each file gets its
	// own meter, counted in rows (the header included).
	write := func(name string, rows int, fn func(w io.Writer) error) error {
		path := filepath.Join(*out, name)
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		lm := &lineMeter{w: f, m: newMeter(stdio.Err, name, int64(rows)+1)}
		err = fn(lm)
		lm.m.Done()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	}
	err := errors.Join(
		write("city.febrl.csv", len(city.Applications), func(w io.Writer) error { return city.WriteFEBRL(w, *lower, *seed) }),
		write("city.csv", len(city.Applications), func(w io.Writer) error { return city.WriteCSV(w) }),
		write("relations.csv", len(city.Relations), func(w io.Writer) error { return city.WriteRelations(w) }))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Err, "linkage generate: %d people, %d applications, %d related pairs in %s\n",
		len(city.Residents), len(city.Applications), len(city.Relations), *out)
	return nil
}

// lineMeter counts the lines written through it on a meter.
type lineMeter struct {
	w io.Writer
	m *meter
	n int64
}

func (l *lineMeter) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	l.n += int64(bytes.Count(p[:n], []byte{'\n'}))
	l.m.Set(l.n)
	return n, err
}
