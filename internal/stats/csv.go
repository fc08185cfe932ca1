package stats

import (
	"encoding/csv"
	"io"
	"strings"
)

// Labeler names a dimension's key for people (a site's name, a language's
// name in the reader's language); nil leaves keys as they are.
type Labeler func(d Dimension, key string) string

// WriteCSV writes every table as one CSV: a header, then one line per row
// and a total line per dimension, with the same suppression as the page.
func WriteCSV(w io.Writer, r Report, label Labeler) error {
	cw := csv.NewWriter(w)
	head := []string{"dimension", "key", "label"}
	for _, m := range Measures {
		head = append(head, string(m))
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, t := range r.Tables {
		for _, row := range append(t.Rows, t.Total) {
			name := row.Key
			if label != nil {
				name = label(t.Dimension, row.Key)
			}
			line := []string{string(t.Dimension), safeCell(row.Key), safeCell(name)}
			for _, c := range row.Cells {
				line = append(line, c.Text)
			}
			if err := cw.Write(line); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// safeCell keeps a spreadsheet from reading a label (a site name typed by
// an administrator) as a formula.
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
