package resident

import (
	"slices"
	"strings"
)

// fieldView is what the "text" and "date" templates need about one field.
type fieldView struct {
	Name, Type, Label, Value, Hint, Err, Auto, Mode string
	Required                                        bool
	Optional, ErrPrefix                             string
	Day, Month, Year, D, M, Y                       string
}

// Described lists the ids of the hint and error, for aria-describedby.
func (f fieldView) Described() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, "h-"+f.Name)
	}
	if f.Err != "" {
		ids = append(ids, "e-"+f.Name)
	}
	return strings.Join(ids, " ")
}

// F describes a text input: name, type, autocomplete token, required,
// hint key and inputmode.
func (p *page) F(name, typ, auto string, required bool, hintKey, mode string) fieldView {
	f := fieldView{Name: name, Type: typ, Label: p.T("resident.field." + name), Value: p.V(name), Err: p.E(name),
		Auto: auto, Mode: mode, Required: required, Optional: p.T("resident.optional"), ErrPrefix: p.T("resident.error.prefix")}
	if hintKey != "" {
		f.Hint = p.T(hintKey)
	}
	return f
}

// Date describes a three-part date field; auto asks the browser to fill a
// birthday.
func (p *page) Date(name, labelKey string, auto bool) fieldView {
	f := fieldView{Name: name, Label: p.T(labelKey), Err: p.E(name), Hint: p.T("date.part.hint"),
		Day: p.T("date.part.day"), Month: p.T("date.part.month"), Year: p.T("date.part.year"),
		D: p.V(name + "_day"), M: p.V(name + "_month"), Y: p.V(name + "_year"), ErrPrefix: p.T("resident.error.prefix")}
	if auto {
		f.Auto = "bday"
	}
	return f
}

// docsView is a group of document checkboxes.
type docsView struct {
	Name, Group, Label, Err, ErrPrefix string
	Docs                               []docOption
	checked                            []string
}

// IsChecked reports whether the resident ticked code.
func (d docsView) IsChecked(code string) bool { return slices.Contains(d.checked, code) }

// Docs describes a group of document checkboxes.
func (p *page) Docs(name, group, labelKey string, docs []docOption) docsView {
	return docsView{Name: name, Group: group, Label: p.T(labelKey), Err: p.E(name), ErrPrefix: p.T("resident.error.prefix"),
		Docs: docs, checked: p.Form[name]}
}

type optionView struct {
	Value, Label string
	Checked      bool
}

// Options lists radio choices whose labels are "resident.<name>.<value>"
// (an empty value is "none").
func (p *page) Options(name string, values ...string) []optionView {
	cur := p.V(name)
	var out []optionView
	for i, v := range values {
		key := v
		if key == "" {
			key = "none"
		}
		out = append(out, optionView{Value: v, Label: p.T("resident." + name + "." + strings.ToLower(key)),
			Checked: cur == v || (cur == "" && i == 0)})
	}
	return out
}

// OptionList is Options for a list of values.
func (p *page) OptionList(name string, values []string) []optionView {
	return p.Options(name, values...)
}

// powView is the hidden proof-of-work fields.
type powView struct {
	PowBits   int
	Challenge string
}

// Pow describes the proof-of-work fields for a challenge.
func (p *page) Pow(challenge string) powView {
	return powView{PowBits: p.PowBits, Challenge: challenge}
}
