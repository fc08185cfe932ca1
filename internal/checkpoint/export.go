package checkpoint

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/store"
)

// The export file a third party keeps: a header naming the log and its
// verifier key, a blank line, then every signed note (C2SP signed-note
// format) one after another, each followed by a blank line:
//
//	cityid audit checkpoints v1
//	origin id.newhaven.gov/audit
//	verifier id.newhaven.gov/audit+1a2b3c4d+AQ…
//
//	id.newhaven.gov/audit
//	1000
//	<root, base64>
//
//	— id.newhaven.gov/audit <signature>
//
// Anyone can check the notes with golang.org/x/mod/sumdb/note and the
// verifier key; the key is in the file for convenience, and whoever keeps
// the file should note it down separately the first time.
const exportMagic = "cityid audit checkpoints v1"

// Limits on an export file, so a hostile file costs bounded time and memory.
const (
	maxExportLine  = 4096
	maxExportNotes = 1 << 20
	maxNote        = 16 << 10
)

// Export writes the verifier key and every stored checkpoint to w and
// returns how many it wrote. ErrNoKey when no checkpoint key exists yet.
func Export(ctx context.Context, db *store.DB, w io.Writer) (int, error) {
	pub, err := LoadPublic(ctx, db)
	if err != nil {
		return 0, err
	}
	rows, err := db.AuditCheckpoints(ctx)
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%s\norigin %s\nverifier %s\n\n", exportMagic, pub.Origin, pub.Key)
	for _, r := range rows {
		bw.Write(r.Note)
		bw.WriteByte('\n')
	}
	return len(rows), bw.Flush()
}

// Exported is a parsed, verified export file.
type Exported struct {
	Origin      string
	VerifierKey string
	Checkpoints []audit.Checkpoint
}

// ErrExport is wrapped by ParseExport's errors.
var ErrExport = errors.New("invalid audit checkpoint file")

// ParseExport reads an export file and verifies every note in it with the
// file's own verifier key and origin. A caller that knows the log's key
// must still compare it with VerifierKey.
func ParseExport(r io.Reader) (Exported, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1024), maxExportLine)
	line := 0
	next := func() (string, bool) {
		if !sc.Scan() {
			return "", false
		}
		line++
		return sc.Text(), true
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("checkpoint file line %d: %s: %w", line, fmt.Sprintf(format, args...), ErrExport)
	}
	var ex Exported
	if l, ok := next(); !ok || l != exportMagic {
		return ex, bad("want %q", exportMagic)
	}
	var ok bool
	l, _ := next()
	if ex.Origin, ok = strings.CutPrefix(l, "origin "); !ok || !validOrigin(ex.Origin) {
		return ex, bad("want \"origin NAME\"")
	}
	l, _ = next()
	if ex.VerifierKey, ok = strings.CutPrefix(l, "verifier "); !ok {
		return ex, bad("want \"verifier KEY\"")
	}
	v, err := note.NewVerifier(ex.VerifierKey)
	if err != nil {
		return ex, bad("verifier key: %v", err)
	}
	if v.Name() != ex.Origin {
		return ex, bad("verifier key is for %q, not the origin %q", v.Name(), ex.Origin)
	}
	if l, ok := next(); !ok || l != "" {
		return ex, bad("want a blank line after the header")
	}
	var msg bytes.Buffer
	inSigs := false
	start := 0
	flush := func() error {
		if msg.Len() == 0 {
			return nil
		}
		if !inSigs {
			return bad("note starting at line %d has no signature", start)
		}
		if len(ex.Checkpoints) >= maxExportNotes {
			return bad("more than %d checkpoints", maxExportNotes)
		}
		cp, err := audit.VerifyCheckpoint(msg.Bytes(), ex.Origin, v)
		if err != nil {
			return fmt.Errorf("checkpoint file: note starting at line %d: %w", start, errors.Join(err, ErrExport))
		}
		ex.Checkpoints = append(ex.Checkpoints, cp)
		msg.Reset()
		inSigs = false
		return nil
	}
	for {
		l, ok := next()
		if !ok {
			break
		}
		isSig := strings.HasPrefix(l, "— ")
		switch {
		case inSigs && isSig:
			msg.WriteString(l + "\n")
		case inSigs && l == "":
			// The blank line that ends a note.
			if err := flush(); err != nil {
				return ex, err
			}
		case inSigs:
			return ex, bad("want a signature line or a blank line")
		case l == "" && msg.Len() == 0:
			// Blank lines between notes.
		case l == "":
			// The blank line between a note's text and its signatures.
			msg.WriteString("\n")
			if nl, ok := next(); !ok || !strings.HasPrefix(nl, "— ") {
				return ex, bad("want a signature line")
			} else {
				msg.WriteString(nl + "\n")
			}
			inSigs = true
		default:
			if msg.Len() == 0 {
				start = line
			}
			if msg.Len() > maxNote {
				return ex, bad("note starting at line %d is too long", start)
			}
			msg.WriteString(l + "\n")
		}
	}
	if err := sc.Err(); err != nil {
		return ex, bad("%v", err)
	}
	if err := flush(); err != nil {
		return ex, err
	}
	return ex, nil
}
