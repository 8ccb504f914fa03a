package cost

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Report is the estimated monthly cost of one stack.
type Report struct {
	Stack         string  `json:"stack"`
	Region        string  `json:"region"`
	Currency      string  `json:"currency"`
	HoursPerMonth float64 `json:"hoursPerMonth"`
	// PricesDate is when the price table was taken; PricesNote how far to
	// trust it.
	PricesDate string `json:"pricesDate"`
	PricesNote string `json:"pricesNote"`

	Lines []Line `json:"lines"`
	// Components are the totals per top-level bpa:* component, by name;
	// components without a charge are listed with 0.
	Components []ComponentTotal `json:"components"`
	Total      float64          `json:"total"`

	// Assumptions are the usage figures the estimate had to assume.
	Assumptions []string `json:"assumptions"`
	// Exclusions are the kinds of charge no line includes.
	Exclusions []string `json:"exclusions"`
	// Caveats are charges of priced resources that the lines leave out
	// (backups, autoscaling headroom, ...).
	Caveats []Caveat `json:"caveats,omitempty"`
	// Unpriced are the types in the plan that incur charges the estimate
	// does not model.
	Unpriced []TypeNote `json:"unpriced,omitempty"`
	// Unclassified are the types in the plan unknown to this package; the
	// estimate is incomplete while any is listed.
	Unclassified []TypeNote `json:"unclassified,omitempty"`
}

// Line is one priced item of one resource.
type Line struct {
	Component   string  `json:"component"`
	URN         string  `json:"urn"`
	Type        string  `json:"type"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Monthly     float64 `json:"monthly"`
}

// ComponentTotal is the sum of one component's lines.
type ComponentTotal struct {
	Component string  `json:"component"`
	Monthly   float64 `json:"monthly"`
}

// Caveat is a charge of a priced resource that its lines do not include.
type Caveat struct {
	Component string `json:"component"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	Text      string `json:"text"`
}

// TypeNote is a resource type present in the plan, how many of it, and why
// it is listed.
type TypeNote struct {
	Type   string `json:"type"`
	Count  int    `json:"count"`
	Reason string `json:"reason"`
}

// ComponentTotal returns the total of one component (0 if it has none).
func (r *Report) ComponentTotal(component string) float64 {
	for _, c := range r.Components {
		if c.Component == component {
			return c.Monthly
		}
	}
	return 0
}

// WriteText writes the report as a compact table: each component's
// subtotal and its lines, the total, then what the figure leaves out.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Estimated monthly cost of stack %q in %s: %s %s (on-demand, %g h/month)\n",
		r.Stack, r.Region, r.Currency, Money(r.Total), r.HoursPerMonth)
	fmt.Fprintf(&b, "Prices: %s (table dated %s).\n\n", r.PricesNote, r.PricesDate)

	// Rows are "label  amount": labels padded to one width, amounts right
	// aligned, so the table reads in a terminal and in a log.
	type row struct{ label, amount string }
	var rows []row
	nameWidth := 0
	for _, l := range r.Lines {
		nameWidth = max(nameWidth, utf8.RuneCountInString(l.Name))
	}
	for _, c := range r.Components {
		rows = append(rows, row{c.Component, Money(c.Monthly)})
		for _, l := range r.Lines {
			if l.Component == c.Component {
				rows = append(rows, row{"    " + pad(l.Name, nameWidth) + "  " + l.Description, Money(l.Monthly)})
			}
		}
	}
	rows = append(rows, row{"TOTAL per month", Money(r.Total)})
	labelWidth, amountWidth := 0, 0
	for _, row := range rows {
		labelWidth = max(labelWidth, utf8.RuneCountInString(row.label))
		amountWidth = max(amountWidth, len(row.amount))
	}
	for _, row := range rows {
		fmt.Fprintf(&b, "%-*s  %*s\n", labelWidth, row.label, amountWidth, row.amount)
	}

	if len(r.Unclassified) > 0 {
		b.WriteString("\nUNCLASSIFIED resource types (the estimate is incomplete until internal/cost classifies them):\n")
		for _, t := range r.Unclassified {
			fmt.Fprintf(&b, "  - %s ×%d\n", t.Type, t.Count)
		}
	}
	if len(r.Unpriced) > 0 {
		b.WriteString("\nCharged but not priced:\n")
		for _, t := range r.Unpriced {
			fmt.Fprintf(&b, "  - %s ×%d: %s\n", t.Type, t.Count, t.Reason)
		}
	}
	if len(r.Caveats) > 0 {
		b.WriteString("\nNot included in the lines above:\n")
		for _, c := range r.Caveats {
			fmt.Fprintf(&b, "  - %s/%s: %s\n", c.Component, c.Name, c.Text)
		}
	}
	b.WriteString("\nAssumptions:\n")
	for _, a := range r.Assumptions {
		fmt.Fprintf(&b, "  - %s\n", a)
	}
	b.WriteString("\nExcluded:\n")
	for _, e := range r.Exclusions {
		fmt.Fprintf(&b, "  - %s\n", e)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// pad fills s with spaces to width runes (descriptions hold "×").
func pad(s string, width int) string {
	n := utf8.RuneCountInString(s)
	if n >= width {
		return s
	}
	return s + strings.Repeat(" ", width-n)
}

// Money formats dollars with thousands separators: 5,428.31.
func Money(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac := s[:len(s)-3], s[len(s)-3:]
	var out []byte
	for i := range len(intPart) {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, intPart[i])
	}
	if neg {
		return "-" + string(out) + frac
	}
	return string(out) + frac
}
