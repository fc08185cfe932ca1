package cardphoto

import (
	"bufio"
	"crypto/ed25519"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"

	"github.com/cityid/cityid/internal/card/render"
	"github.com/cityid/cityid/internal/credential/signing"
)

// Shot is one photo of a set, as listed in its manifest.
type Shot struct {
	Condition string `json:"condition"`
	File      string `json:"file"` // relative to the set's directory
	Payload   string `json:"payload"`
	QRVersion int    `json:"qrVersion"`
	Number    string `json:"number"`
	Params    Params `json:"params"`
}

// ManifestFile lists a set's shots, one JSON object a line.
const ManifestFile = "manifest.jsonl"

// SetOptions control Generate.
type SetOptions struct {
	PerCondition int    // photos per condition
	Cards        int    // distinct synthetic cards the photos are taken of (default 20)
	Seed         uint64 // makes the set reproducible, signatures included
	Face         Face   // the face thumbnail in the QR (zero: the card's own)
	// Only, when set, limits the set to the conditions with these names.
	Only []string
	// Progress, when set, is called after each photo.
	Progress func(done, total int)
}

// Generate writes a set of photos (every condition, o.PerCondition each) to
// dir as JPEG files with a manifest, and returns the shots. An existing
// photo with the right name is kept, so an interrupted run resumes.
func Generate(dir string, o SetOptions) ([]Shot, error) {
	if o.PerCondition <= 0 {
		return nil, fmt.Errorf("cardphoto: %d photos per condition", o.PerCondition)
	}
	if o.Cards <= 0 {
		o.Cards = 20
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// A throw-away Ed25519 key from the seed: its signatures are
	// deterministic, so the same seed gives the same payloads and photos
	// (and an interrupted set can be resumed). It is the same size as an
	// ES256 signature, so the QR codes are as dense as real cards'.
	var seed [ed25519.SeedSize]byte
	binary.LittleEndian.PutUint64(seed[:], o.Seed)
	copy(seed[8:], "cityid card photo set")
	signer, err := signing.NewSigner(ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		return nil, err
	}
	r, err := render.New(Style())
	if err != nil {
		return nil, err
	}
	cards := make([]Card, o.Cards)
	for i := range cards {
		if cards[i], err = Sample(r, signer, crand.Reader, i, o.Face); err != nil {
			return nil, fmt.Errorf("cardphoto: card %d: %w", i, err)
		}
	}
	conds := 0
	for _, c := range Conditions {
		if len(o.Only) == 0 || slices.Contains(o.Only, c.Name) {
			conds++
		}
	}
	total := o.PerCondition * conds
	shots := make([]Shot, 0, total)
	for ci, c := range Conditions {
		if len(o.Only) > 0 && !slices.Contains(o.Only, c.Name) {
			continue
		}
		// One stream per condition, so photo i of a condition is the same
		// whatever the size of the set.
		rng := rand.New(rand.NewPCG(o.Seed, uint64(ci)))
		for i := range o.PerCondition {
			card := cards[(ci*o.PerCondition+i)%len(cards)]
			p := c.Draw(rng)
			s := Shot{Condition: c.Name, File: fmt.Sprintf("c%02d-%03d.jpg", ci, i), Payload: card.Payload, QRVersion: card.QRVersion, Number: card.Number, Params: p}
			path := filepath.Join(dir, s.File)
			if _, err := os.Stat(path); err != nil {
				b, err := Photo(card.Back, p)
				if err != nil {
					return nil, err
				}
				if err := os.WriteFile(path, b, 0o644); err != nil {
					return nil, err
				}
			}
			shots = append(shots, s)
			if o.Progress != nil {
				o.Progress(len(shots), total)
			}
		}
	}
	f, err := os.Create(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, err
	}
	enc := json.NewEncoder(f)
	for _, s := range shots {
		if err := enc.Encode(s); err != nil {
			f.Close()
			return nil, err
		}
	}
	return shots, f.Close()
}

// Load reads the manifest of a set written by Generate.
func Load(dir string) ([]Shot, error) {
	f, err := os.Open(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var shots []Shot
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var s Shot
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			return nil, fmt.Errorf("cardphoto: %s: %w", ManifestFile, err)
		}
		shots = append(shots, s)
	}
	return shots, sc.Err()
}
