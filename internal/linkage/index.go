package linkage

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unsafe"
)

// Candidate is a resident who may be the applicant being screened.
type Candidate struct {
	ID          string  `json:"id"`
	Probability float64 `json:"probability"`
	// Calibrated is the probability to show a reviewer: Probability
	// through the model's calibration to reviewers' decisions, or
	// Probability itself when the model has none.
	Calibrated float64  `json:"calibrated"`
	Weight     float64  `json:"weight"` // log2 odds
	Decision   Decision `json:"decision"`
}

// FieldScore explains one field of a comparison.
type FieldScore struct {
	Field string `json:"field"`
	// Left and Right are the normalized values compared; empty in Bloom
	// mode, where there is no plaintext to show.
	Left   string  `json:"left"`
	Right  string  `json:"right"`
	Level  string  `json:"level"`
	Weight float64 `json:"weight"` // the factor's weight (FactorScore)
}

// FactorScore is one factor's part in a score: its level and weight,
// log2 of its probability among duplicates over its probability in the
// class the pair most resembles otherwise (Explanation.Against).
type FactorScore struct {
	Factor string  `json:"factor"`
	Level  string  `json:"level"`
	Weight float64 `json:"weight"`
}

// What a pair is weighed against, when it is not one person.
const (
	AgainstStrangers = "strangers" // two unrelated residents
	AgainstHousehold = "household" // two people who live together
)

// Explanation breaks a score down field by field, for the review screen.
type Explanation struct {
	// Fields are the compared values (normalized) and their levels; the
	// address factor's weight sits on the street.
	Fields  []FieldScore  `json:"fields"`
	Factors []FactorScore `json:"factors"`
	// Against says which alternative weighs most against the pair being
	// one person: strangers who happen to look alike, or two people of one
	// household (a twin, a father and son of one name).
	Against     string   `json:"against"`
	PriorWeight float64  `json:"prior_weight"`
	Weight      float64  `json:"weight"`
	Probability float64  `json:"probability"`
	Decision    Decision `json:"decision"`
}

func (s *scorer) explain(a, b *entry, t Thresholds) Explanation {
	a, b = s.unpackPair(a, b)
	v := s.compareResolved(a, b)
	ev := s.evidence(a, b, v)
	w, household := s.weight(&ev)
	ex := Explanation{Weight: w, Against: AgainstStrangers}
	alt := &ev.lu
	if household {
		ex.Against, alt = AgainstHousehold, &ev.lh
	}
	var fw [numFactors]float64
	sum := 0.0
	for f := Factor(0); f < numFactors; f++ {
		if !ev.used[f] {
			continue
		}
		fw[f] = ev.lm[f] - alt[f]
		sum += fw[f]
		ex.Factors = append(ex.Factors, FactorScore{Factor: f.String(), Level: ev.levels[f].String(), Weight: fw[f]})
	}
	ex.PriorWeight = w - sum
	raw := factorLevels(v)
	for f := Field(0); f < numFields; f++ {
		fs := FieldScore{Field: f.String()}
		l := v.Get(f)
		for fc := Factor(0); fc < numFactors; fc++ {
			if factorField[fc] != f {
				continue
			}
			fs.Weight = fw[fc]
			if ev.used[fc] && ev.levels[fc] != raw[fc] {
				// The evidence weighed the field at another level than
				// the comparison found ("Hassan" and "Hussein": alike in
				// their letters, two names): the row says what counted.
				l = ev.levels[fc]
			}
		}
		fs.Level = l.String()
		if a.p != nil && b.p != nil {
			fs.Left, fs.Right = a.p.display(f), b.p.display(f)
		}
		if l == Missing && fs.Left == "" && fs.Right == "" && a.p != nil {
			continue // neither form has it: nothing to show
		}
		ex.Fields = append(ex.Fields, fs)
	}
	ex.Probability = fromLogit2(ex.Weight)
	ex.Decision = t.Decide(ex.Probability)
	return ex
}

// Errors from the Index.
var (
	ErrUnknownID = errors.New("linkage: id not in index")
	ErrMode      = errors.New("linkage: operation not available in this mode")
)

// Index screens one application at a time against every resident: an
// in-memory blocking index, rebuilt at start from the database (the caller
// feeds it with Add or AddEncoding) and updated on every change. It is safe
// for concurrent use.
type Index struct {
	mu       sync.RWMutex
	opt      Options
	sc       *scorer
	enc      *Encoder // ModeBloom only
	entries  []entry
	ids      []string
	slot     map[string]int32
	free     []int32
	postings postings
	// coResidents is how many other residents each resident lives with,
	// on average (estimated by Train).
	coResidents float64
	// ownForms is how many other applications of their own each
	// resident's application has in the index, on average (estimated by
	// Train): many where renewals come in as new applications.
	ownForms float64
}

// NewIndex returns an empty index. model may be nil for DefaultModel; Train
// re-estimates it once the index is loaded.
func NewIndex(opt Options, model *Model) (*Index, error) {
	if err := opt.defaults(); err != nil {
		return nil, err
	}
	if model == nil {
		model = DefaultModel()
	}
	ix := &Index{opt: opt, slot: map[string]int32{}, postings: newPostings(), coResidents: 1.5,
		sc: &scorer{nick: NewNicknames(), model: model, tf: newTermFreq()}}
	if opt.Mode == ModeBloom {
		e, err := NewEncoder(opt.Key)
		if err != nil {
			return nil, err
		}
		ix.enc = e
	}
	return ix, nil
}

// Model returns the index's current parameters.
func (ix *Index) Model() *Model {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	m := *ix.sc.model
	return &m
}

// entryOf prepares r for this index's mode.
func (ix *Index) entryOf(r *Record) entry {
	if ix.enc != nil {
		e := ix.enc.Encode(*r)
		return encodedEntry(&e)
	}
	return plainEntry(r, ix.sc.nick)
}

// Reserve makes room for n more residents, so a load whose size is known
// (a snapshot) allocates its arrays once instead of growing them: growth
// copies hold the old and the new array at once, which sets the peak RSS.
func (ix *Index) Reserve(n int) {
	if n <= 0 {
		return
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.entries = slices.Grow(ix.entries, n)
	ix.ids = slices.Grow(ix.ids, n)
	if len(ix.slot) == 0 {
		ix.slot = make(map[string]int32, n)
	}
}

// Add inserts or replaces the record of resident id.
func (ix *Index) Add(id string, r Record) {
	e := ix.entryOf(&r)
	ix.put(id, e)
}

// AddEncoding inserts or replaces a resident known only by an Encoding
// ("no list" mode). It requires a ModeBloom index.
func (ix *Index) AddEncoding(id string, e Encoding) error {
	if ix.enc == nil {
		return fmt.Errorf("AddEncoding: %w", ErrMode)
	}
	ix.put(id, encodedEntry(&e))
	return nil
}

// Encode returns the Encoding of r under the index's key (ModeBloom only),
// to be stored instead of the record.
func (ix *Index) Encode(r Record) (Encoding, error) {
	if ix.enc == nil {
		return Encoding{}, fmt.Errorf("Encode: %w", ErrMode)
	}
	return ix.enc.Encode(r), nil
}

func (ix *Index) put(id string, e entry) {
	keys := e.keys
	if e.p != nil {
		// A plain entry's keys are hashes of its prepared record: they are
		// derived again on removal rather than kept (~130 bytes a resident).
		// The record itself is kept packed (packed.go), packed before the
		// lock is taken.
		e.pk, e.p, e.keys = pack(e.p), nil, nil
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.putLocked(id, e, keys)
}

func (ix *Index) putLocked(id string, e entry, keys []uint64) {
	ix.removeLocked(id)
	var s int32
	if n := len(ix.free); n > 0 {
		s, ix.free = ix.free[n-1], ix.free[:n-1]
		ix.entries[s], ix.ids[s] = e, id
	} else {
		s = int32(len(ix.entries))
		ix.entries = append(ix.entries, e)
		ix.ids = append(ix.ids, id)
	}
	ix.slot[id] = s
	for _, k := range keys {
		ix.postings.add(k, s)
	}
	ix.sc.tf.add(&ix.entries[s], 1)
}

// yieldEvery is how many records a loading loop (AddBatch, LoadSnapshot)
// handles between calls to runtime.Gosched. A server serves while its
// index loads: a request woken by its database's answer otherwise waits
// for a loading goroutine's time slice to run out — 10 ms of wall time,
// far longer on a busy machine — once for every query it makes. 64
// records are well under a millisecond of work, and a Gosched with
// nothing else to run costs a fraction of a microsecond.
const yieldEvery = 64

// AddBatch is Add of records[i] as resident ids[i] for every i, in that
// order — the slots, and so what Train samples, are those of as many Adds
// — with the records normalized and packed on Options.Workers goroutines
// first: a rebuild at start spends most of its time there, and Add one by
// one from the loop that reads the database did it on one.
func (ix *Index) AddBatch(ids []string, records []Record) {
	type prep struct {
		e    entry
		keys []uint64
	}
	ps := make([]prep, len(records))
	workers := ix.opt.Workers
	per := (len(records) + workers - 1) / workers
	var wg sync.WaitGroup
	for start := 0; start < len(records); start += per {
		end := min(start+per, len(records))
		wg.Go(func() {
			for i := start; i < end; i++ {
				if (i-start)%yieldEvery == yieldEvery-1 {
					runtime.Gosched()
				}
				e := ix.entryOf(&records[i])
				keys := e.keys
				if e.p != nil {
					e.pk, e.p, e.keys = pack(e.p), nil, nil
				}
				ps[i] = prep{e, keys}
			}
		})
	}
	wg.Wait()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for i := range ps {
		ix.putLocked(ids[i], ps[i].e, ps[i].keys)
	}
}

// Remove deletes resident id; it reports whether id was present.
func (ix *Index) Remove(id string) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.removeLocked(id)
}

func (ix *Index) removeLocked(id string) bool {
	s, ok := ix.slot[id]
	if !ok {
		return false
	}
	e := &ix.entries[s]
	ix.sc.tf.add(e, -1)
	for _, k := range ix.keysOf(e) {
		ix.postings.remove(k, s)
	}
	*e = entry{}
	ix.ids[s] = ""
	ix.free = append(ix.free, s)
	delete(ix.slot, id)
	return true
}

// keysOf returns a resident's blocking keys: a plain entry is kept packed
// without them (put) and they are derived again from its record.
func (ix *Index) keysOf(e *entry) []uint64 {
	if e.keys != nil || e.pk == "" {
		return e.keys
	}
	var arr [maxPackedStrings]string
	p := unpack(e.pk, &arr)
	return preparedEntry(&p, ix.sc.nick).keys
}

// Len returns the number of residents in the index.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.slot)
}

// Screen returns the residents who may be the person in r, with probability
// at or above the Review threshold, most probable first.
func (ix *Index) Screen(r Record) []Candidate {
	e := ix.entryOf(&r)
	c, _ := ix.screen(&e)
	return c
}

// ScreenEncoding is Screen for an application known only by its Encoding.
func (ix *Index) ScreenEncoding(enc Encoding) ([]Candidate, error) {
	if ix.enc == nil {
		return nil, fmt.Errorf("ScreenEncoding: %w", ErrMode)
	}
	e := encodedEntry(&enc)
	c, _ := ix.screen(&e)
	return c, nil
}

// priors are the chances that an application is one given resident (the
// share of applications that are second applications, spread over
// everyone) and that it is someone who lives with that resident (the
// number of people each resident lives with, spread over everyone): the
// more residents, the more people an application is compared with, and
// the less one look-alike means. The share of second applications is the
// setting DuplicateRate or, where the index shows more (ownForms: a
// program some years old, whose renewals come in as applications), that.
//
// An index of a few residents (a new program) is priced as one of a
// thousand: with two residents, "one in two" would make any two people
// of one surname a household.
func (ix *Index) priors(sc *scorer) {
	n := float64(max(len(ix.slot), 1000))
	sc.priorM = math.Min(max(ix.opt.DuplicateRate, ix.ownForms)/n, 0.4)
	sc.priorH = math.Min(ix.coResidents/n, 0.4)
}

// screen returns the candidates at or above Review and how many residents
// it compared.
func (ix *Index) screen(e *entry) ([]Candidate, int) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.screenLocked(e, ix.opt.Thresholds.Review, -1)
}

// IDs returns the residents' ids, in no particular order.
func (ix *Index) IDs() []string {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := make([]string, 0, len(ix.slot))
	for id := range ix.slot {
		out = append(out, id)
	}
	return out
}

// ScreenResident screens resident id against the others as an application
// would be, returning the candidates at or above floor (a probability, say
// AutoClear: the pairs under Review that screening counts but does not
// show). It reads only the index. ErrUnknownID when id is not a resident.
func (ix *Index) ScreenResident(id string, floor float64) ([]Candidate, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	s, ok := ix.slot[id]
	if !ok {
		return nil, fmt.Errorf("ScreenResident %q: %w", id, ErrUnknownID)
	}
	e := ix.entries[s]
	e.keys = ix.keysOf(&e)
	out, _ := ix.screenLocked(&e, floor, s)
	return out, nil
}

// screenLocked screens e, keeping candidates at or above the probability
// floor; self (a slot, or -1) is never one. The caller holds ix.mu.
func (ix *Index) screenLocked(e *entry, floor float64, self int32) ([]Candidate, int) {
	sc := *ix.sc
	sc.buf = new(unpackBuf)
	ix.priors(&sc)
	maxBlock := ix.opt.maxBlockFor(len(ix.slot))
	threshold := logit2(floor)
	seen := make(map[int32]struct{}, 64)
	if self >= 0 {
		seen[self] = struct{}{}
	}
	var out []Candidate
	var scratch [1]int32
	compare := func(p []int32) {
		for _, s := range p {
			if _, dup := seen[s]; dup {
				continue
			}
			seen[s] = struct{}{}
			_, w := sc.score(e, &ix.entries[s])
			if w >= threshold {
				pr := fromLogit2(w)
				out = append(out, Candidate{ID: ix.ids[s], Probability: pr, Calibrated: sc.model.Calibrated(pr), Weight: w, Decision: ix.opt.Thresholds.Decide(pr)})
			}
		}
	}
	var over [][]int32
	for _, k := range e.keys {
		p := ix.postings.get(k, &scratch)
		if len(p) > maxBlock {
			over = append(over, p)
			continue
		}
		compare(p)
	}
	// As in batch runs, the blocks over the cap are intersected two by two
	// (García born in 1980, and María García: the María Garcías born in
	// 1980) and an intersection within crossCap is compared — with the
	// application itself, as a batch would count it. Without it, a large
	// city misses those who moved and whose birth date was mistyped.
	for x := 0; x < len(over); x++ {
		for y := x + 1; y < len(over); y++ {
			if both := intersect(over[x], over[y], crossCap(maxBlock)-1); both != nil {
				compare(both)
			}
		}
	}
	slices.SortFunc(out, func(a, b Candidate) int {
		switch {
		case a.Weight > b.Weight:
			return -1
		case a.Weight < b.Weight:
			return 1
		}
		// Ties in id order: every server (and one started from a
		// snapshot, whose slots are in another order) lists them alike.
		return strings.Compare(a.ID, b.ID)
	})
	return out, len(seen)
}

// intersect returns the slots in both a and b, or nil when there are none
// or more than limit. It walks the shorter list against a set of the
// longer's: the two are blocks over the cap, a few hundred to a few
// thousand slots each at 1.5 million residents.
func intersect(a, b []int32, limit int) []int32 {
	if len(a) > len(b) {
		a, b = b, a
	}
	in := make(map[int32]struct{}, len(a))
	for _, s := range a {
		in[s] = struct{}{}
	}
	var both []int32
	for _, s := range b {
		if _, ok := in[s]; ok {
			if both = append(both, s); len(both) > limit {
				return nil
			}
		}
	}
	return both
}

// Explain breaks down the comparison of r with resident id.
func (ix *Index) Explain(id string, r Record) (Explanation, error) {
	e := ix.entryOf(&r)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	s, ok := ix.slot[id]
	if !ok {
		return Explanation{}, ErrUnknownID
	}
	sc := *ix.sc
	ix.priors(&sc)
	return sc.explain(&e, &ix.entries[s], ix.opt.Thresholds), nil
}

// Train re-estimates, from the residents in the index, what depends on the
// population: u from random pairs and how much it lives in families. It
// keeps m, which a population of distinct residents cannot teach (it has no
// duplicates); m comes from the Model given to NewIndex, estimated by a
// batch run on data with duplicates, or DefaultModel. Call it after the index
// is loaded at start; seed makes it reproducible.
func (ix *Index) Train(seed uint64) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	// In slot order, not the map's: the same population trains the same
	// model on every server (and from a snapshot).
	live := make([]entry, 0, len(ix.slot))
	for s := range ix.entries {
		if ix.ids[s] != "" {
			live = append(live, ix.entries[s])
		}
	}
	if len(live) < minTrain {
		return
	}
	m := *ix.sc.model
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	sc := *ix.sc
	sc.model = &m
	sc.buf = new(unpackBuf)
	m.fitU(sampleRandom(live, &sc, rng, ix.opt.Workers), false)
	hist, pairs := ruleHistogram(live, func(e *entry) uint64 { return e.addrKey }, &sc, ix.opt.MaxBlock, rng, ix.opt.Workers)
	var skip [numFactors]bool
	skip[FactorAddress] = true
	h := m
	h.PriorH = 1
	sh := h.em(hist, 30, emOptions{skip: skip, updateH: true, kappaM: kappa, kappaH: kappaH})
	m.H = h.H
	addrAgree := math.Max(m.H[FactorAddress][Exact]+m.H[FactorAddress][Strong], 0.5)
	// At least one relative each: a city's residents live in families even
	// where few of them have applied yet.
	ix.coResidents = max(2*sh.h*float64(pairs)/addrAgree/float64(len(live)), 1)
	// The applications that are one person's, as a batch run counts them
	// for its prior (setPriors). m is kept; only the class shares are
	// fitted.
	histB, pairsB := ruleHistogram(live, func(e *entry) uint64 { return e.dobKey }, &sc, max(ix.opt.MaxBlock, trainDateBlock), rng, ix.opt.Workers)
	var skipB [numFactors]bool
	skipB[FactorBirth] = true
	d := m
	shB := d.em(histB, 30, emOptions{skip: skipB})
	ix.ownForms = 2 * m.sameDayMatches(shB.m, pairsB) / float64(len(live))
	ix.sc.setModel(&m)
}

// MemoryBytes estimates the heap held by the index (entries, strings,
// postings and maps); BenchmarkScreen measures it too.
func (ix *Index) MemoryBytes() int64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	const mapEntry = 48 // bucket share per map entry, roughly
	n := int64(cap(ix.entries)) * int64(unsafe.Sizeof(entry{}))
	n += int64(cap(ix.ids)) * int64(unsafe.Sizeof(""))
	for i := range ix.entries {
		e := &ix.entries[i]
		n += int64(cap(e.keys)+cap(e.tok)) * 8
		n += int64(len(e.pk))
		if e.e != nil {
			n += int64(unsafe.Sizeof(Encoding{})) + int64(cap(e.e.GivenFirst)+cap(e.e.GivenTokens)+cap(e.e.GivenExact)+cap(e.e.SurTokens)+cap(e.e.GivenSuffixes)+cap(e.e.GivenRest)+cap(e.e.GivenRestInitials)+cap(e.e.GivenRestLetters))*8 + int64(cap(e.e.DateDigits))*2
		}
		n += int64(len(ix.ids[i]))
	}
	n += int64(len(ix.slot)) * (mapEntry + 4)
	n += ix.postings.bytes()
	for _, f := range tfFields {
		n += int64(len(ix.sc.tf.counts[f])) * (mapEntry + 12)
	}
	n += int64(len(ix.sc.tf.tokG)+len(ix.sc.tf.tokS)) * (mapEntry + 12)
	return n
}
