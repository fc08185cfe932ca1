package backup

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"filippo.io/age"
)

// The file: one plain line naming the format and the key's period (so the
// right key is chosen and a destroyed one named), then an age file
// (X25519 recipient, STREAM of authenticated 64 KiB chunks) holding a tar
// of the parts below, the manifest last.
const (
	magic        = "cityid-backup"
	formatV1     = 1
	partSettings = "cityid.toml"
	partKeyring  = "signing-keys.json"
	partSQLite   = "cityid.db"
	partDump     = "database.jsonl.gz"
	partManifest = "manifest.json"
)

// Manifest describes a backup; it is inside the encryption, so it is
// authenticated with everything else.
type Manifest struct {
	Format        int               `json:"format"`
	Period        string            `json:"period"`
	CreatedAt     time.Time         `json:"created_at"`
	Dialect       string            `json:"dialect"`
	SchemaVersion int               `json:"schema_version"`
	Parts         map[string]string `json:"parts"` // name → SHA-256 (hex)
	Rows          map[string]int    `json:"rows"`  // table → rows
	KeyCheck      string            `json:"key_check"`
	AuditEvents   int               `json:"audit_events"`
}

// Errors callers check with errors.Is.
var (
	ErrNotBackup = errors.New("not a cityid backup")
	ErrDamaged   = errors.New("the backup is damaged or was altered")
	ErrWrongKey  = errors.New("this backup cannot be opened with these backup keys")
)

func header(period string) string { return fmt.Sprintf("%s %d %s\n", magic, formatV1, period) }

// readHeader reads the plain first line and returns the period.
func readHeader(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotBackup, err)
	}
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != magic {
		return "", ErrNotBackup
	}
	if f[1] != fmt.Sprint(formatV1) {
		return "", fmt.Errorf("%w: format %s, this cityid reads %d", ErrNotBackup, f[1], formatV1)
	}
	return f[2], nil
}

// writer builds the encrypted tar.
type writer struct {
	enc      io.WriteCloser
	tw       *tar.Writer
	manifest Manifest
}

func newWriter(out io.Writer, key Key) (*writer, error) {
	if _, err := io.WriteString(out, header(key.Period)); err != nil {
		return nil, err
	}
	rcpt, err := age.ParseX25519Recipient(key.Recipient)
	if err != nil {
		return nil, fmt.Errorf("backup key %s: %w", key.Period, err)
	}
	enc, err := age.Encrypt(out, rcpt)
	if err != nil {
		return nil, err
	}
	return &writer{enc: enc, tw: tar.NewWriter(enc), manifest: Manifest{Format: formatV1, Period: key.Period, Parts: map[string]string{}}}, nil
}

// part adds a file of size bytes read from r, hashing it for the manifest.
func (w *writer) part(name string, size int64, r io.Reader, at time.Time) error {
	if err := w.tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: size, ModTime: at, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(w.tw, io.TeeReader(r, h))
	if err != nil {
		return fmt.Errorf("backup %s: %w", name, err)
	}
	if n != size {
		return fmt.Errorf("backup %s: wrote %d bytes of %d (did it change while copying?)", name, n, size)
	}
	w.manifest.Parts[name] = hex.EncodeToString(h.Sum(nil))
	return nil
}

func (w *writer) close(at time.Time) error {
	b, err := json.MarshalIndent(w.manifest, "", "  ")
	if err != nil {
		return err
	}
	if err := w.tw.WriteHeader(&tar.Header{Name: partManifest, Mode: 0o600, Size: int64(len(b)), ModTime: at, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	if _, err := w.tw.Write(b); err != nil {
		return err
	}
	if err := w.tw.Close(); err != nil {
		return err
	}
	return w.enc.Close()
}

// reader walks an encrypted backup. open is called for each part before
// the manifest with a reader of its bytes; the part's hash is checked
// against the manifest at the end, so a caller must not trust a part
// before Read returns nil.
func read(in io.Reader, keys *Keys, open func(name string, r io.Reader) error) (Manifest, error) {
	br := bufio.NewReaderSize(in, 64<<10)
	period, err := readHeader(br)
	if err != nil {
		return Manifest{}, err
	}
	ident, err := keys.Identity(period)
	if err != nil {
		return Manifest{}, err
	}
	dec, err := age.Decrypt(br, ident)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			return Manifest{}, fmt.Errorf("%w (period %s): the key file holds a different key for that period, or the file's header was altered", ErrWrongKey, period)
		}
		return Manifest{}, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	tr := tar.NewReader(dec)
	hashes := map[string]string{}
	var m *Manifest
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Manifest{}, fmt.Errorf("%w: %v", ErrDamaged, err)
		}
		if m != nil {
			return Manifest{}, fmt.Errorf("%w: a part after the manifest", ErrDamaged)
		}
		if h.Name == partManifest {
			var mm Manifest
			if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&mm); err != nil {
				return Manifest{}, fmt.Errorf("%w: manifest: %v", ErrDamaged, err)
			}
			m = &mm
			continue
		}
		if _, seen := hashes[h.Name]; seen {
			return Manifest{}, fmt.Errorf("%w: part %s twice", ErrDamaged, h.Name)
		}
		sum := sha256.New()
		if err := open(h.Name, io.TeeReader(damageReader{tr}, sum)); err != nil {
			return Manifest{}, err
		}
		// Drain what the part's reader left, so the hash covers all of it.
		if _, err := io.Copy(sum, tr); err != nil {
			return Manifest{}, fmt.Errorf("%w: %v", ErrDamaged, err)
		}
		hashes[h.Name] = hex.EncodeToString(sum.Sum(nil))
	}
	// The age stream ended cleanly (its last chunk is marked, so a cut
	// file fails above) — make sure nothing follows the tar either.
	if _, err := io.Copy(io.Discard, dec); err != nil {
		return Manifest{}, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	if m == nil {
		return Manifest{}, fmt.Errorf("%w: no manifest (the file was cut short)", ErrDamaged)
	}
	if m.Period != period {
		return Manifest{}, fmt.Errorf("%w: the header names period %s, the manifest %s", ErrDamaged, period, m.Period)
	}
	if len(hashes) != len(m.Parts) {
		return Manifest{}, fmt.Errorf("%w: %d parts, the manifest lists %d", ErrDamaged, len(hashes), len(m.Parts))
	}
	for name, want := range m.Parts {
		if hashes[name] != want {
			return Manifest{}, fmt.Errorf("%w: part %s does not match its hash", ErrDamaged, name)
		}
	}
	return *m, nil
}

// damageReader marks every read error of the decrypted stream (a cut or
// altered chunk fails its authentication) as ErrDamaged.
type damageReader struct{ r io.Reader }

func (d damageReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	return n, err
}

// dumpWriter writes a logical dump as gzip-compressed JSON lines: a
// {"table":…,"columns":[…]} line, then one JSON array per row, where bytes
// are {"b":"base64"} and reals {"f":x}.
type dumpWriter struct {
	zw   *gzip.Writer
	bw   *bufio.Writer
	rows map[string]int
	cur  string
	buf  []byte
}

func newDumpWriter(w io.Writer) *dumpWriter {
	zw := gzip.NewWriter(w)
	return &dumpWriter{zw: zw, bw: bufio.NewWriterSize(zw, 256<<10), rows: map[string]int{}}
}

func (d *dumpWriter) Table(name string, cols []string) error {
	d.cur = name
	d.rows[name] = 0
	b, err := json.Marshal(struct {
		Table   string   `json:"table"`
		Columns []string `json:"columns"`
	}{name, cols})
	if err != nil {
		return err
	}
	d.bw.Write(b)
	return d.bw.WriteByte('\n')
}

func (d *dumpWriter) Row(vals []any) error {
	d.buf = append(d.buf[:0], '[')
	for i, v := range vals {
		if i > 0 {
			d.buf = append(d.buf, ',')
		}
		switch v := v.(type) {
		case nil:
			d.buf = append(d.buf, "null"...)
		case int64:
			d.buf = fmt.Appendf(d.buf, "%d", v)
		case float64:
			b, err := json.Marshal(v)
			if err != nil {
				return err
			}
			d.buf = append(append(append(d.buf, `{"f":`...), b...), '}')
		case string:
			b, err := json.Marshal(v)
			if err != nil {
				return err
			}
			d.buf = append(d.buf, b...)
		case []byte:
			d.buf = append(d.buf, `{"b":"`...)
			d.buf = base64.StdEncoding.AppendEncode(d.buf, v)
			d.buf = append(d.buf, `"}`...)
		default:
			return fmt.Errorf("dump: unexpected value %T", v)
		}
	}
	d.buf = append(d.buf, ']', '\n')
	d.rows[d.cur]++
	_, err := d.bw.Write(d.buf)
	return err
}

func (d *dumpWriter) Close() error {
	if err := d.bw.Flush(); err != nil {
		return err
	}
	return d.zw.Close()
}

// dumpReader reads what dumpWriter wrote (store.DumpReader).
type dumpReader struct {
	sc      *bufio.Scanner
	pending []byte // a table line read while looking for rows
	done    bool
	rows    map[string]int
	cur     string
}

func newDumpReader(r io.Reader) (*dumpReader, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%w: dump: %v", ErrDamaged, err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	return &dumpReader{sc: sc, rows: map[string]int{}}, nil
}

func (d *dumpReader) line() ([]byte, error) {
	if d.pending != nil {
		l := d.pending
		d.pending = nil
		return l, nil
	}
	if d.done || !d.sc.Scan() {
		d.done = true
		if err := d.sc.Err(); err != nil {
			return nil, fmt.Errorf("%w: dump: %v", ErrDamaged, err)
		}
		return nil, io.EOF
	}
	return d.sc.Bytes(), nil
}

func (d *dumpReader) Next() (string, []string, error) {
	for {
		l, err := d.line()
		if err != nil {
			return "", nil, err
		}
		if len(l) > 0 && l[0] == '[' {
			continue // rows of a table the caller skipped
		}
		var t struct {
			Table   string   `json:"table"`
			Columns []string `json:"columns"`
		}
		if err := json.Unmarshal(l, &t); err != nil || t.Table == "" {
			return "", nil, fmt.Errorf("%w: dump: bad table line", ErrDamaged)
		}
		d.cur = t.Table
		d.rows[t.Table] = 0
		return t.Table, t.Columns, nil
	}
}

func (d *dumpReader) Row() ([]any, error) {
	l, err := d.line()
	if err != nil {
		return nil, err
	}
	if len(l) == 0 || l[0] != '[' {
		d.pending = append([]byte(nil), l...)
		return nil, io.EOF
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(l, &raw); err != nil {
		return nil, fmt.Errorf("%w: dump row: %v", ErrDamaged, err)
	}
	out := make([]any, len(raw))
	for i, r := range raw {
		v, err := decodeValue(r)
		if err != nil {
			return nil, fmt.Errorf("%w: dump row: %v", ErrDamaged, err)
		}
		out[i] = v
	}
	d.rows[d.cur]++
	return out, nil
}

func decodeValue(r json.RawMessage) (any, error) {
	switch {
	case len(r) == 0:
		return nil, errors.New("empty value")
	case string(r) == "null":
		return nil, nil
	case r[0] == '"':
		var s string
		err := json.Unmarshal(r, &s)
		return s, err
	case r[0] == '{':
		var o struct {
			B *string  `json:"b"`
			F *float64 `json:"f"`
		}
		if err := json.Unmarshal(r, &o); err != nil {
			return nil, err
		}
		switch {
		case o.B != nil:
			return base64.StdEncoding.DecodeString(*o.B)
		case o.F != nil:
			return *o.F, nil
		}
		return nil, errors.New("unknown value")
	default:
		var n int64
		err := json.Unmarshal(r, &n)
		return n, err
	}
}
