// Package policy holds the rules every resource the program registers must
// pass before a change merges: encryption, public exposure, network ingress,
// IMDSv2, logging, backups, deletion protection, IAM scope and tags.
//
// The rules read a recording of the program (internal/harness), so they run
// wherever the program runs under the mock monitor: in the tests of both
// stacks and in the offline plan, which a pull request must pass. A
// mandatory violation fails both; an advisory one is listed, and a stack may
// waive it by name with a reason (bpa:policyWaivers).
package policy

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/bpa-infra/bpa-infra/internal/config"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/internal/harness"
)

// Severity says whether a violation blocks a change.
type Severity string

const (
	// Mandatory violations fail the tests and the plan; they cannot be waived.
	Mandatory Severity = "mandatory"
	// Advisory violations are listed; a stack may waive them with a reason.
	Advisory Severity = "advisory"
)

// Rule is one named check over the resources of some types.
type Rule struct {
	Name        string
	Family      string
	Severity    Severity
	Description string
	// Types are the resource type tokens the rule inspects.
	Types []string
	// Controls are the Checkov checks and AWS Security Hub controls the rule
	// matches, so a reviewer can hold it against those catalogues.
	Controls []string
	// ProtectedOnly rules apply to stacks that protect their stateful
	// resources (bpa:protect, production); throw-away stacks skip them.
	ProtectedOnly bool
	// Stack rules read other resources than the one judged and its
	// provider (a bucket's encryption, a VPC's flow logs): the policy pack
	// runs them as stack policies, over the whole stack after its steps;
	// the others run as resource policies, before each resource's step.
	Stack bool
	// check returns one message per problem found on the resource.
	check func(p *Plan, r *Subject) []string
}

// Settings are the stack facts the rules judge against.
type Settings struct {
	Protected bool
	// RequiredTags must be on every taggable resource, with these values.
	RequiredTags map[string]string
	// PublicPorts are the load balancer's configured listener ports, the only
	// ones a security group may open to the whole internet.
	PublicPorts []int
	// Waivers are advisory rule names with the reason each is waived.
	Waivers map[string]string
}

// NewSettings takes the settings from a stack's configuration and checks its
// waivers: each must name an advisory rule.
func NewSettings(cfg *config.Config) (Settings, error) {
	s := Settings{
		Protected: cfg.Protect,
		RequiredTags: map[string]string{
			"customer":    cfg.Tags.Customer,
			"environment": cfg.Tags.Environment,
			"owner":       cfg.Tags.Owner,
		},
		Waivers: cfg.Policy.Waivers,
	}
	for _, l := range cfg.Cluster.LoadBalancer.Listeners {
		s.PublicPorts = append(s.PublicPorts, l.Port)
	}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(s.Waivers)) {
		rule := Find(name)
		switch {
		case rule == nil:
			errs = append(errs, &config.KeyError{Key: "bpa:policyWaivers", Msg: fmt.Sprintf("%q is not a policy rule (see go run ./cmd/plan --stack %s --policy)", name, cfg.StackName)})
		case rule.Severity == Mandatory:
			errs = append(errs, &config.KeyError{Key: "bpa:policyWaivers", Msg: fmt.Sprintf("%q is a mandatory rule and cannot be waived", name)})
		}
	}
	if len(errs) > 0 {
		return s, &config.Error{Errs: errs}
	}
	return s, nil
}

// AppliesTo reports whether the rule inspects resources of a type; a type
// pattern "aws:*" stands for every type of that provider.
func (rule *Rule) AppliesTo(typ string) bool {
	for _, t := range rule.Types {
		if t == typ || (strings.HasSuffix(t, ":*") && strings.HasPrefix(typ, strings.TrimSuffix(t, "*"))) {
			return true
		}
	}
	return false
}

// Find returns the rule of that name, or nil.
func Find(name string) *Rule {
	for i := range Rules {
		if Rules[i].Name == name {
			return &Rules[i]
		}
	}
	return nil
}

// Subject is one recorded resource as the rules see it: its inputs as plain
// data (secrets masked, unknowns marked).
type Subject struct {
	*harness.Resource
	plan *Plan
	In   map[string]any
	// open are the inputs with secrets opened, for the rules that must
	// compare a value the stack stores encrypted (an owner tag); never
	// printed (see shown).
	open map[string]any
}

// Get returns the input at a dotted path, or nil.
func (s *Subject) Get(path string) any { return s.read(harness.Dig(s.In, path), path) }

// read notes a value not known until apply, so the rule reading it is
// undecided rather than passed.
func (s *Subject) read(v any, path string) any {
	if s.plan != nil && holdsUnknown(v) {
		s.plan.unknown = append(s.plan.unknown, s.Name+"."+path)
	}
	return v
}

func holdsUnknown(v any) bool {
	switch v := v.(type) {
	case string:
		return v == harness.UnknownMarker
	case []any:
		return slices.ContainsFunc(v, holdsUnknown)
	case map[string]any:
		for _, e := range v {
			if holdsUnknown(e) {
				return true
			}
		}
	}
	return false
}

// reveal returns the input at a dotted path with secrets opened, or nil:
// for comparing only. The plan opens a secret to the placeholder that
// stands in for it, never to the stack's value.
func (s *Subject) reveal(path string) any {
	if s.open == nil {
		s.open = s.Revealed()
	}
	return s.read(harness.Dig(s.open, path), path)
}

// shown is how a value may appear in a finding: a value holding the
// placeholder of an encrypted stack value is shown as a secret.
func shown(v any) any {
	if s, ok := v.(string); ok && strings.Contains(s, harness.SecretPlaceholder) {
		return harness.SecretMarker
	}
	return v
}

// Plan is the whole recording with the settings, for rules that look past
// one resource (a VPC's flow log, a security group's load balancer).
type Plan struct {
	Settings Settings
	rec      *harness.Recording
	subjects map[string]*Subject
	// unknown are the values the running check read that a preview does
	// not know yet; attributed of them were read for a want, whose
	// condition they leave undecided; decided are want's messages from
	// known values.
	unknown    []string
	attributed int
	undecided  []string
	decided    map[string]bool
	// current is the resource the running check judges; reachedOut says
	// it read another resource than current and its providers.
	current    *Subject
	reachedOut bool
}

// NewPlan prepares a recording for the rules.
func NewPlan(rec *harness.Recording, s Settings) *Plan {
	p := &Plan{Settings: s, rec: rec, subjects: make(map[string]*Subject, len(rec.Resources))}
	for _, r := range rec.Resources {
		p.subjects[r.URN] = &Subject{Resource: r, plan: p, In: r.Plain()}
	}
	return p
}

// Subject returns the recorded resource with that URN, or nil.
func (p *Plan) Subject(urn string) *Subject {
	if c := p.current; c != nil && urn != c.URN && urn != c.Provider && !slices.Contains(slices.Collect(maps.Values(c.Providers)), urn) {
		p.reachedOut = true
	}
	return p.subjects[urn]
}

// OfType returns the resources of a type.
func (p *Plan) OfType(typ string) []*Subject {
	p.reachedOut = true
	var out []*Subject
	for _, r := range p.rec.OfType(typ) {
		out = append(out, p.subjects[r.URN])
	}
	return out
}

// Finding is one rule violated by one resource.
type Finding struct {
	Rule     string   `json:"rule"`
	Family   string   `json:"family"`
	Severity Severity `json:"severity"`
	URN      string   `json:"urn"`
	Type     string   `json:"type"`
	Name     string   `json:"name"`
	Message  string   `json:"message"`
	Controls []string `json:"controls,omitempty"`
	// WaivedBecause is the stack's reason, for a waived advisory finding.
	WaivedBecause string `json:"waivedBecause,omitempty"`
}

// Undecided is a rule that could not judge a resource: a value it reads
// is not known until apply (a real preview of new resources). It is
// neither a pass nor a finding; `pulumi up` judges it with known values.
type Undecided struct {
	Rule string `json:"rule"`
	URN  string `json:"urn"`
	Name string `json:"name"`
	// Unknown are the values read, as resource.path.
	Unknown []string `json:"unknown"`
}

// Report is the outcome of every rule over one recording.
type Report struct {
	Rules     int         `json:"rules"`
	Resources int         `json:"resources"`
	Findings  []Finding   `json:"findings"`
	Undecided []Undecided `json:"undecided,omitempty"`
}

// Judge runs the rule over the plan's resources of its types, or over the
// one resource urn when given.
func (rule *Rule) Judge(p *Plan, urn string) (findings []Finding, undecided []Undecided) {
	for _, r := range p.rec.Resources {
		if !rule.AppliesTo(r.Type) || urn != "" && r.URN != urn {
			continue
		}
		p.unknown, p.attributed, p.undecided, p.decided = nil, 0, nil, map[string]bool{}
		p.current, p.reachedOut = p.subjects[r.URN], false
		msgs := rule.check(p, p.current)
		// Unknowns read after the last want decided a message the check
		// returned itself: only want's known-value messages stand.
		if rest := p.unknown[p.attributed:]; len(rest) > 0 {
			p.undecided = append(p.undecided, rest...)
			msgs = slices.DeleteFunc(msgs, func(m string) bool { return !p.decided[m] })
		}
		if len(p.undecided) > 0 {
			undecided = append(undecided, Undecided{Rule: rule.Name, URN: r.URN, Name: r.Name, Unknown: slices.Compact(slices.Sorted(slices.Values(p.undecided)))})
		}
		for _, msg := range msgs {
			findings = append(findings, Finding{
				Rule: rule.Name, Family: rule.Family, Severity: rule.Severity,
				URN: r.URN, Type: r.Type, Name: r.Name, Message: msg,
				Controls: rule.Controls, WaivedBecause: p.Settings.Waivers[rule.Name],
			})
		}
	}
	return findings, undecided
}

// Evaluate runs every rule over every recorded resource of its types.
func Evaluate(rec *harness.Recording, s Settings) *Report {
	p := NewPlan(rec, s)
	report := &Report{Resources: len(rec.Resources), Findings: []Finding{}}
	for i := range Rules {
		rule := &Rules[i]
		if rule.ProtectedOnly && !s.Protected {
			continue
		}
		report.Rules++
		findings, undecided := rule.Judge(p, "")
		report.Findings = append(report.Findings, findings...)
		report.Undecided = append(report.Undecided, undecided...)
	}
	sort.SliceStable(report.Findings, func(i, j int) bool {
		a, b := report.Findings[i], report.Findings[j]
		if a.Severity != b.Severity {
			return a.Severity == Mandatory
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.URN < b.URN
	})
	return report
}

// Count returns the number of unwaived findings of a severity.
func (r *Report) Count(sev Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == sev && f.WaivedBecause == "" {
			n++
		}
	}
	return n
}

// Waived returns the number of waived findings.
func (r *Report) Waived() int {
	n := 0
	for _, f := range r.Findings {
		if f.WaivedBecause != "" {
			n++
		}
	}
	return n
}

// Passed reports whether no mandatory rule is violated.
func (r *Report) Passed() bool { return r.Count(Mandatory) == 0 }

// Summary is the one line a reviewer reads first.
func (r *Report) Summary() string {
	verdict := "passed"
	if !r.Passed() {
		verdict = "FAILED"
	}
	undecided := ""
	if len(r.Undecided) > 0 {
		undecided = fmt.Sprintf("; %d undecided until apply", len(r.Undecided))
	}
	return fmt.Sprintf("Policy %s: %d rules over %d resources; %d mandatory, %d advisory, %d waived violations%s",
		verdict, r.Rules, r.Resources, r.Count(Mandatory), r.Count(Advisory), r.Waived(), undecided)
}

// WriteText lists the findings, then the summary line.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, f := range r.Findings {
		label := strings.ToUpper(string(f.Severity))
		if f.WaivedBecause != "" {
			label = "waived"
		}
		fmt.Fprintf(&b, "  %-9s %-28s %s (%s): %s [%s]\n", label, f.Rule, f.Name, f.Type, f.Message, strings.Join(f.Controls, ", "))
		if f.WaivedBecause != "" {
			fmt.Fprintf(&b, "  %-9s %-28s because: %s\n", "", "", f.WaivedBecause)
		}
	}
	for _, u := range r.Undecided {
		fmt.Fprintf(&b, "  %-9s %-28s %s: %s unknown until apply\n", "undecided", u.Rule, u.Name, strings.Join(u.Unknown, ", "))
	}
	b.WriteString(r.Summary() + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// protectsChild reports whether one of a component's transforms protects
// the children of type typ it makes: the mock monitor runs no transforms,
// so they are called here as the engine would call them.
func protectsChild(r *Subject, typ string) bool {
	for _, t := range r.Transforms {
		res := t(context.Background(), &pulumi.ResourceTransformArgs{Custom: true, Type: typ, Name: r.Name + "-child"})
		if res != nil && res.Opts.Protect {
			return true
		}
	}
	return false
}

// WaiverProperty is the per-policy config property of the policy pack that
// waives an advisory rule, with the reason as its value.
const WaiverProperty = "waivedBecause"

// PackConfig is the policy pack's config for a stack (pulumi
// --policy-pack-config): each waived advisory rule with the stack's reason
// as its WaiverProperty, so bpa:policyWaivers stays the one list.
func PackConfig(s Settings) map[string]map[string]string {
	out := map[string]map[string]string{}
	for rule, reason := range s.Waivers {
		out[rule] = map[string]string{WaiverProperty: reason}
	}
	return out
}
