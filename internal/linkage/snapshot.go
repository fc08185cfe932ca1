package linkage

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"
)

// A snapshot is the plain index's prepared records written out, so a server
// starts by reading them back instead of decrypting and normalizing every
// resident again. Only the prepared form is kept: blocking keys, value ids
// and term frequencies are hashes of it, recomputed on load.
//
// Layout (the caller seals it; nothing here is secret-proof):
//
//	magic, uvarint version, 32-byte fingerprint of prepare,
//	uvarint length + JSON header (count, co-residents, base model),
//	count records, then the end mark.
//
// A record is its id, then the prepared fields in a fixed order. Strings
// that repeat across residents (names, streets, cities) are written once
// and referred to by number afterwards, and the reader keeps one copy of
// each: the loaded index shares them instead of holding 1.5 M copies of
// the city's name.
const (
	snapshotMagic   = "cityid-screening-index\n"
	snapshotVersion = 1
	snapshotEnd     = "end\n"
)

// ErrSnapshot means a snapshot cannot be used: damaged, of another format,
// or written by a build that normalizes records differently. The caller
// rebuilds the index from the database.
var ErrSnapshot = errors.New("linkage: unusable index snapshot")

// Snapshot is a consistent copy of a plain index's records, taken under the
// index's lock and written out later without holding it. The packed
// records it holds are strings, never changed once made (a new version of
// a record replaces the string), so sharing them is safe.
type Snapshot struct {
	ids         []string
	pks         []string // packed records
	coResidents float64
	ownForms    float64
}

// Capture copies the plain index's current records (a string header each).
func (ix *Index) Capture() (*Snapshot, error) {
	if ix.enc != nil {
		return nil, fmt.Errorf("Capture: %w", ErrMode)
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	s := &Snapshot{ids: make([]string, 0, len(ix.slot)), pks: make([]string, 0, len(ix.slot)), coResidents: ix.coResidents, ownForms: ix.ownForms}
	for i := range ix.entries {
		if ix.ids[i] == "" || ix.entries[i].pk == "" {
			continue // a free slot
		}
		s.ids = append(s.ids, ix.ids[i])
		s.pks = append(s.pks, ix.entries[i].pk)
	}
	return s, nil
}

// Len is the number of records in the snapshot.
func (s *Snapshot) Len() int { return len(s.ids) }

// snapshotHeader is the snapshot's JSON header.
type snapshotHeader struct {
	Count       int     `json:"count"`
	CoResidents float64 `json:"co_residents"`
	// OwnForms is Index.ownForms (absent from older snapshots: 0, and the
	// setting DuplicateRate stands until the next training).
	OwnForms float64 `json:"own_forms,omitempty"`
	// Base is the population-trained model the index was built with
	// (not a reviewer-estimated version, which the caller applies again).
	Base *Model `json:"base"`
}

// Write writes the snapshot with base, the model to restore on load.
func (s *Snapshot) Write(w io.Writer, base *Model) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	hdr, err := json.Marshal(snapshotHeader{Count: len(s.ids), CoResidents: s.coResidents, OwnForms: s.ownForms, Base: base})
	if err != nil {
		return fmt.Errorf("index snapshot: %w", err)
	}
	fp := prepareFingerprint()
	bw.WriteString(snapshotMagic)
	sw := &snapWriter{w: bw, table: map[string]uint64{}}
	sw.uvarint(snapshotVersion)
	bw.Write(fp[:])
	sw.uvarint(uint64(len(hdr)))
	bw.Write(hdr)
	var arr [maxPackedStrings]string
	for i, id := range s.ids {
		sw.inline(id)
		p := unpack(s.pks[i], &arr)
		sw.prepared(&p)
		if sw.err != nil {
			return fmt.Errorf("index snapshot: %w", sw.err)
		}
	}
	bw.WriteString(snapshotEnd)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("index snapshot: %w", err)
	}
	return nil
}

// SnapshotInfo is what a loaded snapshot held besides its records.
type SnapshotInfo struct {
	Records int
	Base    *Model // the model it was written with, now the index's
}

// Limits a reader checks, so a damaged snapshot cannot ask for absurd
// allocations.
const (
	maxSnapshotString = 1 << 12
	maxSnapshotTokens = 64
	maxSnapshotHeader = 1 << 20
)

// LoadSnapshot adds the records of a snapshot written by Snapshot.Write to
// an empty plain index and restores its model and household estimate.
// Anything wrong with it gives an error wrapping ErrSnapshot, and the index
// should then be discarded (it may hold part of the records).
func (ix *Index) LoadSnapshot(r io.Reader) (SnapshotInfo, error) {
	if ix.enc != nil {
		return SnapshotInfo{}, fmt.Errorf("LoadSnapshot: %w", ErrMode)
	}
	if ix.Len() != 0 {
		return SnapshotInfo{}, errors.New("LoadSnapshot: the index is not empty")
	}
	sr := &snapReader{r: bufio.NewReaderSize(r, 1<<16)}
	bad := func(what string, args ...any) (SnapshotInfo, error) {
		return SnapshotInfo{}, fmt.Errorf("%w: %s", ErrSnapshot, fmt.Sprintf(what, args...))
	}
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(sr.r, magic); err != nil {
		return bad("%v", err)
	}
	if string(magic) != snapshotMagic {
		return bad("not an index snapshot")
	}
	if v := sr.uvarint(); v != snapshotVersion {
		return bad("format version %d, want %d", v, snapshotVersion)
	}
	var fp [sha256.Size]byte
	if _, err := io.ReadFull(sr.r, fp[:]); err != nil {
		return bad("truncated")
	}
	if fp != prepareFingerprint() {
		return bad("written by a build that normalizes records differently")
	}
	n := sr.uvarint()
	if sr.err != nil || n > maxSnapshotHeader {
		return bad("header")
	}
	raw := make([]byte, n)
	if _, err := io.ReadFull(sr.r, raw); err != nil {
		return bad("truncated header")
	}
	var hdr snapshotHeader
	if err := json.Unmarshal(raw, &hdr); err != nil {
		return bad("header: %v", err)
	}
	if hdr.Base == nil || hdr.Count < 0 || math.IsNaN(hdr.CoResidents) || hdr.CoResidents < 0 || math.IsNaN(hdr.OwnForms) || hdr.OwnForms < 0 {
		return bad("header values")
	}
	if err := hdr.Base.Validate(); err != nil {
		return bad("model: %v", err)
	}
	// Reading is serial (a stream); deriving the keys and adding to the
	// index run on Options.Workers goroutines, the reader among them: a
	// batch at a time on the others, or in the reader's own loop when it
	// is the only one. It was the reader and as many adding goroutines as
	// cores, but most of adding is under the index's lock (58 % of the
	// adding goroutines' CPU in putLocked, profiled in a server loading
	// 300,000 residents), so the last of them bought little and took a
	// core from the requests a server answers while it loads.
	type rec struct {
		id string
		p  *prepared
	}
	add := func(b []rec) {
		for i, r := range b {
			if i%yieldEvery == yieldEvery-1 {
				runtime.Gosched()
			}
			ix.put(r.id, preparedEntry(r.p, ix.sc.nick))
		}
	}
	workers := ix.opt.Workers
	batches := make(chan []rec, 4)
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Go(func() {
			for b := range batches {
				add(b)
			}
		})
	}
	send := func(b []rec) {
		if workers > 1 {
			batches <- b
		} else {
			add(b)
		}
	}
	var readErr error
	batch := make([]rec, 0, 512)
	for i := 0; i < hdr.Count; i++ {
		id := sr.inline()
		p := sr.prepared()
		if sr.err != nil {
			readErr = fmt.Errorf("record %d of %d: %v", i+1, hdr.Count, sr.err)
			break
		}
		if id == "" {
			readErr = fmt.Errorf("record %d of %d has no id", i+1, hdr.Count)
			break
		}
		if batch = append(batch, rec{id, p}); len(batch) == cap(batch) {
			send(batch)
			batch = make([]rec, 0, 512)
		}
	}
	send(batch)
	close(batches)
	wg.Wait()
	if readErr != nil {
		return bad("%v", readErr)
	}
	end := make([]byte, len(snapshotEnd))
	if _, err := io.ReadFull(sr.r, end); err != nil || string(end) != snapshotEnd {
		return bad("no end mark after %d records", hdr.Count)
	}
	if _, err := sr.r.ReadByte(); err != io.EOF {
		return bad("data after the end mark")
	}
	if ix.Len() != hdr.Count {
		return bad("%d distinct ids for %d records", ix.Len(), hdr.Count)
	}
	m := *hdr.Base
	ix.mu.Lock()
	ix.sc.model = &m
	ix.coResidents, ix.ownForms = hdr.CoResidents, hdr.OwnForms
	ix.mu.Unlock()
	return SnapshotInfo{Records: hdr.Count, Base: hdr.Base}, nil
}

// String references: 0 is "", 1 introduces a new string (length and
// bytes follow) that later references name as its number plus 2.
type snapWriter struct {
	w     *bufio.Writer
	table map[string]uint64
	buf   [binary.MaxVarintLen64]byte
	err   error
}

func (sw *snapWriter) uvarint(v uint64) {
	n := binary.PutUvarint(sw.buf[:], v)
	if _, err := sw.w.Write(sw.buf[:n]); err != nil && sw.err == nil {
		sw.err = err
	}
}

// inline writes a string that rarely repeats (an id, an e-mail address)
// without entering it in the table.
func (sw *snapWriter) inline(s string) {
	sw.uvarint(uint64(len(s)))
	sw.w.WriteString(s)
}

func (sw *snapWriter) str(s string) {
	if s == "" {
		sw.uvarint(0)
		return
	}
	if i, ok := sw.table[s]; ok {
		sw.uvarint(i + 2)
		return
	}
	sw.table[s] = uint64(len(sw.table))
	sw.uvarint(1)
	sw.inline(s)
}

func (sw *snapWriter) strs(ss []string) {
	sw.uvarint(uint64(len(ss)))
	for _, s := range ss {
		sw.str(s)
	}
}

// prepared writes p's fields; snapReader.prepared reads them in the same
// order. A field added to prepared must be added to both (the fingerprint
// test fails until it is).
func (sw *snapWriter) prepared(p *prepared) {
	sw.strs(p.given)
	sw.str(p.givenFull)
	sw.str(p.givenNoSp)
	sw.str(p.givenDM)
	sw.str(p.givenSp)
	sw.strs(p.sur)
	sw.str(p.surFull)
	sw.str(p.surNoSp)
	sw.strs(p.surDM)
	sw.strs(p.surSp)
	sw.str(p.foldGiven)
	sw.str(p.foldSur)
	sw.str(p.suffix)
	b := uint64(0)
	if p.arabic {
		b = 1
	}
	sw.uvarint(b)
	sw.uvarint(uint64(p.dob.Y))
	sw.uvarint(uint64(p.dob.M))
	sw.uvarint(uint64(p.dob.D))
	sw.str(p.dob.Digits)
	sw.str(p.sex)
	sw.str(p.num)
	sw.str(p.street)
	sw.str(p.streetNS)
	sw.str(p.line2)
	sw.str(p.city)
	sw.str(p.citySp)
	sw.str(p.post)
	sw.str(p.state)
	sw.inline(p.email)
	sw.inline(p.phone)
}

type snapReader struct {
	r     *bufio.Reader
	table []string
	err   error
}

func (sr *snapReader) fail(err error) {
	if sr.err == nil {
		sr.err = err
	}
}

func (sr *snapReader) uvarint() uint64 {
	if sr.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(sr.r)
	if err != nil {
		sr.fail(fmt.Errorf("truncated: %w", err))
	}
	return v
}

func (sr *snapReader) small(limit uint64) int {
	v := sr.uvarint()
	if v > limit {
		sr.fail(fmt.Errorf("value %d over %d", v, limit))
		return 0
	}
	return int(v)
}

func (sr *snapReader) inline() string {
	n := sr.small(maxSnapshotString)
	if n == 0 || sr.err != nil {
		return ""
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(sr.r, b); err != nil {
		sr.fail(fmt.Errorf("truncated string: %w", err))
		return ""
	}
	return string(b)
}

func (sr *snapReader) str() string {
	v := sr.uvarint()
	switch {
	case sr.err != nil || v == 0:
		return ""
	case v == 1:
		s := sr.inline()
		if s == "" && sr.err == nil {
			sr.fail(errors.New("empty string in the table"))
		}
		sr.table = append(sr.table, s)
		return s
	case v-2 >= uint64(len(sr.table)):
		sr.fail(fmt.Errorf("string %d of %d", v-2, len(sr.table)))
		return ""
	}
	return sr.table[v-2]
}

func (sr *snapReader) strs() []string {
	n := sr.small(maxSnapshotTokens)
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = sr.str()
	}
	return out
}

func (sr *snapReader) prepared() *prepared {
	p := &prepared{}
	p.given = sr.strs()
	p.givenFull = sr.str()
	p.givenNoSp = sr.str()
	p.givenDM = sr.str()
	p.givenSp = sr.str()
	p.sur = sr.strs()
	p.surFull = sr.str()
	p.surNoSp = sr.str()
	p.surDM = sr.strs()
	p.surSp = sr.strs()
	p.foldGiven = sr.str()
	p.foldSur = sr.str()
	p.suffix = sr.str()
	p.arabic = sr.small(1) == 1
	p.dob.Y = sr.small(9999)
	p.dob.M = sr.small(99)
	p.dob.D = sr.small(99)
	p.dob.Digits = sr.str()
	p.sex = sr.str()
	p.num = sr.str()
	p.street = sr.str()
	p.streetNS = sr.str()
	p.line2 = sr.str()
	p.city = sr.str()
	p.citySp = sr.str()
	p.post = sr.str()
	p.state = sr.str()
	p.email = sr.inline()
	p.phone = sr.inline()
	return p
}

// fingerprintProbes are records whose prepared forms stand for prepare's
// behaviour: accents, compound and particle surnames, nicknames, suffixes,
// Arabic script, unit and ZIP+4 forms.
var fingerprintProbes = []Record{
	{GivenNames: "María José", FirstSurname: "García", SecondSurname: "de la Peña", DateOfBirth: "1988-04-17", Sex: "F",
		Street: "12 Elm St Apt 3B", City: "New Haven", PostalCode: "06511-1234", State: "CT", Email: " Maria@Example.org ", Phone: "+1 (203) 555-0101"},
	{GivenNames: "Bill Jr.", FirstSurname: "O'Neil", DateOfBirth: "04/17/1960", Sex: "male", StreetNumber: "7", Street: "Hampton Cct", Line2: "#3B", City: "Oakland"},
	{GivenNames: "محمد", FirstSurname: "الحسن", DateOfBirth: "19991231", City: "Newark"},
	{GivenNames: "Nguyễn Thị Khánh", FirstSurname: "Trần", DateOfBirth: "31/12/2001", Street: "PO Box 12", PostalCode: "K1A 0B1"},
	{GivenNames: "José Luis", FirstSurname: "Muñoz-Ávila", SecondSurname: "III", Sex: "X"},
	{},
}

// prepareFingerprint hashes the prepared forms of the probes: a build that
// normalizes differently (a new field, another phonetic key) has another
// fingerprint, and its snapshots are not mixed with this one's records.
// It is computed once per process (it never changes within one).
var prepareFingerprint = sync.OnceValue(func() [sha256.Size]byte {
	nick := NewNicknames()
	var buf bytes.Buffer
	sw := &snapWriter{w: bufio.NewWriter(&buf), table: map[string]uint64{}}
	for i := range fingerprintProbes {
		sw.prepared(prepare(&fingerprintProbes[i], nick))
	}
	sw.w.Flush()
	return sha256.Sum256(buf.Bytes())
})
