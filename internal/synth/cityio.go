package synth

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
)

// FEBRLHeader is the header row of FEBRL benchmark files.
const FEBRLHeader = "rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, state, date_of_birth, soc_sec_id"

// febrlCell removes from a value what would break a FEBRL row. One for all
// rows: built per value, its 6 KB table a value made the 1,000,000-person
// city's file take 14 of the generator's 16 minutes under load (the
// collector scanning the city's 4 GB heap for the garbage).
var febrlCell = strings.NewReplacer(",", " ", "\"", "", "\n", " ", "\r", " ")

// WriteFEBRL writes the city's applications in the FEBRL benchmark layout:
// ", "-separated, both surnames in the one surname field, dates as
// YYYYMMDD. soc_sec_id is random per record (applicants have none; a
// matcher must never read it). lower writes every value in lower case, as
// FEBRL's own files are.
func (c *City) WriteFEBRL(w io.Writer, lower bool, seed uint64) error {
	bw := bufio.NewWriter(w)
	rng := rand.New(rand.NewPCG(seed, 0x55))
	fmt.Fprintln(bw, FEBRLHeader)
	for i := range c.Applications {
		a := &c.Applications[i]
		sur := strings.TrimSpace(a.FirstSurname + " " + a.SecondSurname)
		vals := []string{a.ID, a.GivenNames, sur, a.StreetNumber, a.Street, a.Line2, a.City, a.PostalCode,
			a.State, strings.ReplaceAll(a.DateOfBirth, "-", ""), strconv.Itoa(1_000_000 + rng.IntN(9_000_000))}
		for j, v := range vals {
			v = febrlCell.Replace(v)
			if lower {
				v = strings.ToLower(v)
			}
			vals[j] = v
		}
		if _, err := bw.WriteString(strings.Join(vals, ", ") + "\n"); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// CSVHeader names the columns WriteCSV writes; person_id is the truth.
var CSVHeader = []string{"rec_id", "person_id", "given_names", "first_surname", "second_surname", "sex",
	"date_of_birth", "street_number", "street", "line2", "city", "postal_code", "state", "phone", "year", "moved"}

// WriteCSV writes the applications with every field the generator has,
// one surname per column, and the truth (person_id, moved).
func (c *City) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(CSVHeader)
	for i := range c.Applications {
		a := &c.Applications[i]
		if err := cw.Write([]string{a.ID, strconv.Itoa(int(a.Person)), a.GivenNames, a.FirstSurname, a.SecondSurname,
			a.Sex, a.DateOfBirth, a.StreetNumber, a.Street, a.Line2, a.City, a.PostalCode, a.State, a.Phone,
			strconv.Itoa(a.Year), strconv.FormatBool(a.Moved)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteRelations writes the pairs of different residents who look alike:
// person_a,person_b,relation (person ids are the N of rec-N-…).
func (c *City) WriteRelations(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"person_a", "person_b", "relation"})
	for _, r := range c.Relations {
		if err := cw.Write([]string{strconv.Itoa(int(r.A)), strconv.Itoa(int(r.B)), string(r.Relation)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
