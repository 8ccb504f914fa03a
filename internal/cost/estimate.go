// Package cost estimates the monthly on-demand cost of a stack from a
// recording of its program (internal/harness): every registered resource is
// classified as priced, free or unpriced (catalog.go), and each priced one is
// turned into itemised lines from its inputs and the region's price table
// (prices.go). It works on a preview recording, where ids and ARNs are
// unknown: what it reads (instance types, sizes, counts, classes) are inputs
// the program sets from configuration, and where a count is only known
// through other resources (the subnets of an endpoint) it follows the
// property dependencies.
//
// A priced resource whose price-relevant input is missing or unknown, or
// names something the table has no price for, makes Estimate fail with an
// error naming the resource and the input: a silently low estimate is worse
// than none.
package cost

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// item is one line a pricer produces, before it is attributed.
type item struct {
	desc    string
	monthly float64
}

// pricer turns one resource into lines.
type pricer func(e *estimator, r *harness.Resource, in inputs) ([]item, error)

// estimator carries what pricers need besides the resource itself.
type estimator struct {
	rec     *harness.Recording
	p       *Prices
	byURN   map[string]*harness.Resource
	caveats []Caveat
}

// Estimate prices a recording with the price table of the region its AWS
// provider is configured for.
func Estimate(rec *harness.Recording) (*Report, error) {
	region, err := regionOf(rec)
	if err != nil {
		return nil, err
	}
	p, ok := tables[region]
	if !ok {
		return nil, fmt.Errorf("cost: no price table for region %q (tables exist for: %s)", region, strings.Join(tableRegions(), ", "))
	}
	return estimate(rec, p)
}

func estimate(rec *harness.Recording, p *Prices) (*Report, error) {
	e := &estimator{rec: rec, p: p, byURN: map[string]*harness.Resource{}}
	for _, r := range rec.Resources {
		e.byURN[r.URN] = r
	}
	rep := &Report{
		Stack: rec.Stack, Region: p.Region, Currency: "USD", HoursPerMonth: HoursPerMonth,
		PricesDate: p.Date, PricesNote: p.Checked,
		Assumptions: assumptions(), Exclusions: exclusions(),
	}
	totals := map[string]float64{}
	unpriced, unclassified := map[string]int{}, map[string]int{}
	var errs []error
	for _, r := range rec.Resources {
		comp := e.component(r)
		if strings.HasPrefix(r.Type, "bpa:") && comp == r.Name {
			totals[comp] += 0 // list every component, even one without charges
		}
		class, _ := Classify(r.Type)
		switch class {
		case Unpriced:
			unpriced[r.Type]++
		case Unclassified:
			unclassified[r.Type]++
		case Priced:
			items, err := catalog[r.Type].price(e, r, inputs(r.Plain()))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s %s: %w", r.Type, r.Name, err))
				continue
			}
			for _, it := range items {
				monthly := cents(it.monthly)
				rep.Lines = append(rep.Lines, Line{
					Component: comp, URN: r.URN, Type: r.Type, Name: r.Name, Description: it.desc, Monthly: monthly,
				})
				totals[comp] += monthly
			}
		}
	}
	// Lines read by component, then resource, each resource's lines in the
	// order its pricer gave them.
	sort.SliceStable(rep.Lines, func(i, j int) bool {
		a, b := rep.Lines[i], rep.Lines[j]
		if a.Component != b.Component {
			return a.Component < b.Component
		}
		return a.Name < b.Name
	})
	if len(errs) > 0 {
		return nil, fmt.Errorf("cost: stack %s cannot be priced:\n%w", rec.Stack, errors.Join(errs...))
	}
	for _, comp := range harness.SortedKeys(totals) {
		rep.Components = append(rep.Components, ComponentTotal{Component: comp, Monthly: cents(totals[comp])})
		rep.Total += totals[comp]
	}
	rep.Total = cents(rep.Total)
	for _, typ := range harness.SortedKeys(unpriced) {
		_, reason := Classify(typ)
		rep.Unpriced = append(rep.Unpriced, TypeNote{Type: typ, Count: unpriced[typ], Reason: reason})
	}
	for _, typ := range harness.SortedKeys(unclassified) {
		_, reason := Classify(typ)
		rep.Unclassified = append(rep.Unclassified, TypeNote{Type: typ, Count: unclassified[typ], Reason: reason})
	}
	rep.Caveats = e.caveats
	return rep, nil
}

// regionOf reads the region every AWS provider of the recording is
// configured with; they must agree, since one price table prices them all.
func regionOf(rec *harness.Recording) (string, error) {
	regions := map[string]bool{}
	for _, r := range rec.OfType("pulumi:providers:aws") {
		region, ok := inputs(r.Plain()).str("region")
		if !ok {
			return "", fmt.Errorf("cost: AWS provider %s has no known region", r.Name)
		}
		regions[region] = true
	}
	switch len(regions) {
	case 0:
		return "", errors.New("cost: the recording has no pulumi:providers:aws resource to read the region from")
	case 1:
		return harness.SortedKeys(regions)[0], nil
	}
	return "", fmt.Errorf("cost: AWS providers use several regions (%s); the estimate prices one region",
		strings.Join(harness.SortedKeys(regions), ", "))
}

func tableRegions() []string { return harness.SortedKeys(tables) }

// component is the name of the outermost bpa:* component r belongs to
// ("network", "cluster", ...), or "stack" for resources outside them.
func (e *estimator) component(r *harness.Resource) string {
	comp := "stack"
	for cur := r; cur != nil; cur = e.byURN[cur.Parent] {
		if strings.HasPrefix(cur.Type, "bpa:") {
			comp = cur.Name
		}
	}
	return comp
}

func (e *estimator) caveat(r *harness.Resource, format string, args ...any) {
	e.caveats = append(e.caveats, Caveat{Component: e.component(r), Name: r.Name, Type: r.Type, Text: fmt.Sprintf(format, args...)})
}

// count is how many things a list input holds: its length when the list is
// known (its elements may not be), otherwise the number of resources of
// type typ its value was computed from. In a preview, a list built from
// other resources' outputs ([]subnet ids) is unknown as a whole, but the
// engine still records which resources it came from.
func (e *estimator) count(r *harness.Resource, in inputs, key, typ string) (int, bool) {
	if l, ok := in.list(key); ok {
		return len(l), true
	}
	n := 0
	for _, u := range r.PropertyDependencies[key] {
		if string(resource.URN(u).Type()) == typ {
			n++
		}
	}
	return n, n > 0
}

func missing(path string) error {
	return fmt.Errorf("input %s is missing or not known in the plan", path)
}

func hourly(p Price) float64 { return p.USD * HoursPerMonth }

// cents rounds to the cent, as every line and total is reported.
func cents(v float64) float64 { return math.Round(v*100) / 100 }

func assumptions() []string {
	return []string{
		fmt.Sprintf("every resource runs all month: %d hours", HoursPerMonth),
		fmt.Sprintf("CloudWatch Logs: %g GB/month ingested into each log group; stored volume is that times the retention in months (at most %g)", LogGroupIngestGB, LogRetentionCapMonths),
		fmt.Sprintf("load balancer: %g LCU on average", ALBLCUs),
		fmt.Sprintf("RDS Enhanced Monitoring: %g KB per record, kept %g month in CloudWatch Logs", EnhancedMonitoringRecordKB, EnhancedMonitoringRetentionMonths),
		"Atlas tier prices are for a three-node replica set and scale with the node count",
		"EKS control plane: standard or extended support as of the price table's date, by the EKS version calendar",
		"KMS keys at the first-year price (each of a key's first two rotations adds $1/month)",
	}
}

func exclusions() []string {
	return []string{
		"data transfer: internet egress, cross-AZ traffic, NAT gateway and VPC endpoint data processing, Atlas data transfer",
		"request charges: KMS, Secrets Manager, CloudWatch and ECR API requests, S3, AWS WAF ($0.60 per million requests)",
		"free tiers, credits, Savings Plans and reserved pricing, support plans and tax",
	}
}

// inputs are a resource's inputs as plain data (harness.Plain): unknown
// values are harness.UnknownMarker and secrets harness.SecretMarker, and
// neither counts as known.
type inputs map[string]any

func (in inputs) get(path string) (any, bool) {
	var v any = map[string]any(in)
	for _, part := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		v = m[part]
	}
	if v == nil || v == harness.UnknownMarker || v == harness.SecretMarker {
		return nil, false
	}
	return v, true
}

func (in inputs) str(path string) (string, bool) {
	v, _ := in.get(path)
	s, ok := v.(string)
	return s, ok && s != ""
}

func (in inputs) num(path string) (float64, bool) {
	v, _ := in.get(path)
	f, ok := v.(float64)
	return f, ok
}

func (in inputs) flag(path string) (bool, bool) {
	v, _ := in.get(path)
	b, ok := v.(bool)
	return b, ok
}

func (in inputs) list(path string) ([]any, bool) {
	v, _ := in.get(path)
	l, ok := v.([]any)
	return l, ok
}

func (in inputs) object(path string) (inputs, bool) {
	v, _ := in.get(path)
	m, ok := v.(map[string]any)
	return inputs(m), ok
}
