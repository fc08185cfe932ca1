package synth

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// pool draws names with a skewed frequency: ranked head names with
// Zipf-like weights 1/(rank+offset)^s, or explicit weights, plus a share of
// rare names from a long tail (each of them rare, like most surnames in a
// city).
type pool struct {
	names []string
	cum   []float64 // cumulative weights of names
	tail  []string
	tailP float64 // share of draws from tail
}

// parseList splits a name list written as comma-separated entries (line
// breaks are spaces), dropping repeats; an entry "Name=12" has an explicit
// weight.
func parseList(s string) (names []string, weights []float64) {
	seen := map[string]bool{}
	for _, e := range strings.Split(strings.ReplaceAll(s, "\n", " "), ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		w := -1.0
		if name, ws, ok := strings.Cut(e, "="); ok {
			if v, err := strconv.ParseFloat(strings.TrimSpace(ws), 64); err == nil {
				e, w = strings.TrimSpace(name), v
			}
		}
		if seen[e] {
			continue
		}
		seen[e] = true
		names = append(names, e)
		weights = append(weights, w)
	}
	return names, weights
}

// newPool builds a pool from a list: explicit weights where given, else
// 1/(rank+offset)^s.
func newPool(list string, s, offset float64, tail []string, tailP float64) *pool {
	names, ws := parseList(list)
	p := &pool{names: names, tail: tail, tailP: tailP}
	if len(tail) == 0 {
		p.tailP = 0
	}
	var sum float64
	for i, w := range ws {
		if w < 0 {
			w = 1 / math.Pow(float64(i)+offset, s)
		}
		sum += w
		p.cum = append(p.cum, sum)
	}
	return p
}

func (p *pool) draw(rng *rand.Rand) string {
	if p.tailP > 0 && rng.Float64() < p.tailP {
		return p.tail[rng.IntN(len(p.tail))]
	}
	x := rng.Float64() * p.cum[len(p.cum)-1]
	i, _ := slices.BinarySearch(p.cum, x)
	return p.names[min(i, len(p.names)-1)]
}

// parseMap reads "Key:v1|v2, Key2:v3" into a map.
func parseMap(s string) map[string][]string {
	out := map[string][]string{}
	for _, e := range strings.Split(strings.ReplaceAll(s, "\n", " "), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(e), ":")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		for _, x := range strings.Split(v, "|") {
			if x = strings.TrimSpace(x); x != "" && !slices.Contains(out[k], x) {
				out[k] = append(out[k], x)
			}
		}
	}
	return out
}

// combine makes every prefix+suffix pair: the rare names of a tail. A
// hyphen or space may sit in a prefix ("Saint-", "Abdel ").
func combine(prefixes, suffixes string) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range strings.Fields(prefixes) {
		p = strings.ReplaceAll(p, "_", " ")
		for _, s := range strings.Fields(suffixes) {
			s = strings.ReplaceAll(s, "_", " ")
			n := p + s
			if p != "" && strings.HasSuffix(p, "-") || strings.HasSuffix(p, " ") {
				n = p + strings.ToUpper(s[:1]) + s[1:]
			}
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out
}

// Tails: rare names made from the sounds of each tradition, so that a
// large city has as many rare surnames as a real one. They read as
// plausible names without being anyone's.
var (
	hispanicTailRoots = `Alb Alm Arc Arm Bar Bel Bern Cal Cam Can Car Cas Cel Cor Cres Dom Esc Esp Est
Fal Gal Gar Gil Gran Guer Lar Lez Lor Mal Man Mar Mir Mon Mor Nav Olm Or Pal Par Pen Pin Pla Quin
Ram Rib Riv Sal San Sar Ser Sol Tal Tor Urb Val Ver Vil Zam Zar Arg Bal Cub Fig Lin Med Nar`
	hispanicTailEnds = `ero ado edo illo ino ola ón ez eda uela aza ano ete ales ares iega era eño ero ía ueta`
	angloTailRoots   = `Ash Brad Brook Cald Cran Hal Hart Kings Lang Mid Nor Ral Red Shel Stan Thorn Wal
Wins Whit Al Bar Black Brom Burn Carl Chad Dun East Els Fair Fen Gold Green Hamp Hol Kel Kirk Lin
Mar Marl Mill Ox Pen Ring Rock Rus Sand Sedg Stow Sut Tal Tre Ux Wake Wen West Wick Wood`
	angloTailEnds    = `ford ley ton wood well by worth field son ham more stead brook dale hurst wick`
	haitianTailRoots = `Saint- Jean- Pierre- Bel Beau Bon Char Dor Dul Fleur Jol Lam Mar Mon Nor Pet
Ros Sain Val Vil Clair Des Dieu Elis Fran Guil Hon Jus Luc Mer Rich Sev Ter Vic`
	haitianTailEnds = `ier eau in on elle ard ilus ius or ange ville mond fort eus ant ice ome`
	arabicTailRoots = `Al- Al- Abu- Abdel- El- Bin-`
	arabicTailEnds  = `baghdadi basri mosuli halabi dimashqi yafai adeni taizi maqdisi nabulsi tikriti
najafi hilli khayyat hallaq jazzar attar tahhan sayegh rahman karim aziz latif hamid malik salam
qadir jabbar wahab razzaq ghani hadi majid halim hakim basit fattah raouf sattar nouri jubouri
karbalai samarrai anbari kubaisi dulaimi janabi lami fayadh mashhadani hamdani`
)

// names holds every pool of one community.
type names struct {
	surnames       *pool
	female, male   *pool
	nicknames      map[string][]string // formal given name → short forms
	variants       map[string][]string // other Latin spellings (Arabic)
	script         map[string]string   // Arabic-script form
	middleF        *pool               // Vietnamese middle names
	middleM        *pool
	americanF      *pool // American names some Vietnamese use
	americanM      *pool
	secondSurnames bool
}

func firstOf(m map[string][]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v[0]
	}
	return out
}

// newNames builds the pools of every community.
func newNames() map[Community]*names {
	hTail := combine(hispanicTailRoots, hispanicTailEnds)
	aTail := combine(angloTailRoots, angloTailEnds)
	return map[Community]*names{
		Hispanic: {
			surnames:       newPool(hispanicSurnames, 1.0, 8, hTail, 0.22),
			female:         newPool(hispanicFemale, 1.05, 3, nil, 0),
			male:           newPool(hispanicMale, 1.05, 3, nil, 0),
			nicknames:      parseMap(hispanicNicknames),
			secondSurnames: true,
		},
		Anglo: {
			surnames:  newPool(angloSurnames, 0.9, 6, aTail, 0.35),
			female:    newPool(angloFemale, 1.0, 4, nil, 0),
			male:      newPool(angloMale, 1.0, 4, nil, 0),
			nicknames: parseMap(angloNicknames),
		},
		AfricanAmerican: {
			surnames:  newPool(africanAmericanSurnames+", "+angloSurnames, 0.9, 5, aTail, 0.25),
			female:    newPool(africanAmericanFemale, 0.9, 4, nil, 0),
			male:      newPool(africanAmericanMale, 0.9, 4, nil, 0),
			nicknames: parseMap(angloNicknames),
		},
		Haitian: {
			surnames:  newPool(haitianSurnames, 0.95, 5, combine(haitianTailRoots, haitianTailEnds), 0.2),
			female:    newPool(haitianFemale, 1.0, 3, nil, 0),
			male:      newPool(haitianMale, 1.0, 3, nil, 0),
			nicknames: parseMap(haitianNicknames),
		},
		Vietnamese: {
			surnames:  newPool(vietnameseSurnames, 1, 1, nil, 0),
			female:    newPool(vietnameseFemale, 0.9, 4, nil, 0),
			male:      newPool(vietnameseMale, 0.9, 4, nil, 0),
			middleF:   newPool(vietnameseMiddleFemale, 1, 1, nil, 0),
			middleM:   newPool(vietnameseMiddleMale, 1, 1, nil, 0),
			americanF: newPool(vietnameseAmericanFemale, 1, 2, nil, 0),
			americanM: newPool(vietnameseAmericanMale, 1, 2, nil, 0),
			nicknames: map[string][]string{},
		},
		Arabic: {
			surnames:  newPool(arabicSurnames, 0.9, 5, combine(arabicTailRoots, arabicTailEnds), 0.25),
			female:    newPool(arabicFemale, 1.0, 3, nil, 0),
			male:      newPool(arabicMale, 1.1, 2, nil, 0),
			variants:  parseMap(arabicVariants),
			script:    firstOf(parseMap(arabicScript)),
			nicknames: map[string][]string{},
		},
		Other: {
			surnames:  newPool(otherSurnames, 0.7, 10, nil, 0),
			female:    newPool(otherFemale, 0.7, 8, nil, 0),
			male:      newPool(otherMale, 0.7, 8, nil, 0),
			nicknames: map[string][]string{},
		},
	}
}
