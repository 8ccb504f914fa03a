// Command policy is the project's policy rules as a Pulumi CrossGuard
// policy pack, so a real `pulumi preview` or `pulumi up` is gated by the
// same rule bodies as the tests and the offline plan, over every resource
// the engine sees (pulumi-eks's children included).
//
// A rule that reads one resource and its provider is a resource policy: the
// engine asks it before the resource's step, with the resource's inputs. A
// rule that reads other resources (Rule.Stack) is a stack policy, over
// every resource's outputs after the steps. A value a preview does not know
// leaves a rule undecided: logged as a note, never counted as passing.
//
// The stack's settings (bpa:protect, the required tags, the listener
// ports) come from the stack configuration the engine hands the pack;
// waivers come from the pack's own per-policy config (waivedBecause), which
// `go run ./cmd/plan --stack S --policy-pack-config` generates from
// bpa:policyWaivers.
package main

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/bpa-infra/bpa-infra/internal/config"
	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/policy"
)

// packName is the pack's name in the engine's output and Pulumi Cloud.
const packName = "bpa"

// packVersion moves with the rule catalogue.
var packVersion = semver.MustParse("1.0.0")

func main() {
	if err := policyx.Main(newPack); err != nil {
		fmt.Fprintln(os.Stderr, "bpa policy pack:", err)
		os.Exit(1)
	}
}

// newPack is called once the engine has told the pack which stack it
// judges, with the stack's decrypted configuration.
func newPack(ctx *pulumi.Context) (policyx.PolicyPack, error) {
	cfg, err := config.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", ctx.Stack(), err)
	}
	settings, err := policy.NewSettings(cfg)
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", ctx.Stack(), err)
	}
	// One list of waivers: the pack's config, generated from it.
	settings.Waivers = nil
	var policies []policyx.Policy
	for i := range policy.Rules {
		policies = append(policies, newPolicy(ctx, &policy.Rules[i], settings))
	}
	return policyx.NewPolicyPack(packName, packVersion, policyx.EnforcementLevelAdvisory, policies)
}

func newPolicy(ctx *pulumi.Context, rule *policy.Rule, s policy.Settings) policyx.Policy {
	level := policyx.EnforcementLevelAdvisory
	if rule.Severity == policy.Mandatory {
		level = policyx.EnforcementLevelMandatory
	}
	if rule.ProtectedOnly && !s.Protected {
		level = policyx.EnforcementLevelDisabled
	}
	var schema *policyx.ConfigSchema
	if rule.Severity == policy.Advisory {
		schema = &policyx.ConfigSchema{Properties: map[string]map[string]any{
			policy.WaiverProperty: {"type": "string", "description": "why this stack waives the rule (bpa:policyWaivers)"},
		}}
	}
	j := judge{ctx: ctx, rule: rule, settings: s}
	if rule.Stack {
		return policyx.NewStackValidationPolicy(rule.Name, policyx.StackValidationPolicyArgs{
			Description: rule.Description, EnforcementLevel: level, ConfigSchema: schema,
			ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
				return j.run(args.Manager, nil, args.Resources, "")
			},
		})
	}
	return policyx.NewResourceValidationPolicy(rule.Name, policyx.ResourceValidationPolicyArgs{
		Description: rule.Description, EnforcementLevel: level, ConfigSchema: schema,
		ValidateResource: func(_ context.Context, args policyx.ResourceValidationArgs) error {
			if slices.Contains(policy.InputlessComponents, args.Resource.Type) {
				return nil
			}
			return j.run(args.Manager, args.Config, []policyx.AnalyzerResource{args.Resource}, args.Resource.URN)
		},
	})
}

type judge struct {
	ctx      *pulumi.Context
	rule     *policy.Rule
	settings policy.Settings
}

// run judges the resources (or the one urn) and reports each finding, with
// the stack's reason when the rule is waived, and notes each undecided one.
func (j judge) run(m policyx.PolicyManager, cfg map[string]any, resources []policyx.AnalyzerResource, urn string) error {
	s := j.settings
	if reason, _ := cfg[policy.WaiverProperty].(string); reason != "" {
		s.Waivers = map[string]string{j.rule.Name: reason}
	}
	findings, undecided := j.rule.Judge(policy.NewPlan(recording(j.ctx, resources), s), urn)
	for _, f := range findings {
		msg := f.Message
		if f.WaivedBecause != "" {
			msg = fmt.Sprintf("waived (%s): %s", f.WaivedBecause, msg)
		}
		m.ReportViolation(msg, f.URN)
	}
	for _, u := range undecided {
		note := fmt.Sprintf("policy %s: %s is undecided: %v not known until apply; `pulumi up` judges it with known values",
			u.Rule, u.URN, u.Unknown)
		if err := j.ctx.Log.Info(note, nil); err != nil {
			return fmt.Errorf("note undecided %s: %w", u.Rule, err)
		}
	}
	return nil
}

// recording is what the engine sent, as the rules read it: each resource
// with its provider.
func recording(ctx *pulumi.Context, resources []policyx.AnalyzerResource) *harness.Recording {
	rec := &harness.Recording{Project: ctx.Project(), Stack: ctx.Stack()}
	seen := map[string]bool{}
	add := func(r *harness.Resource) {
		if !seen[r.URN] {
			seen[r.URN] = true
			rec.Resources = append(rec.Resources, r)
		}
	}
	for _, r := range resources {
		add(&harness.Resource{
			URN: r.URN, Type: r.Type, Name: r.Name, Parent: r.Parent,
			Custom:               r.Provider.URN != "",
			Provider:             r.Provider.URN,
			Inputs:               resource.ToResourcePropertyMap(r.Properties),
			Dependencies:         r.Dependencies,
			PropertyDependencies: r.PropertyDependencies,
			Protect:              r.Options.Protect,
			IgnoreChanges:        r.Options.IgnoreChanges,
		})
	}
	for _, r := range resources {
		if p := r.Provider; p.URN != "" {
			add(&harness.Resource{URN: p.URN, Type: p.Type, Name: p.Name, Custom: true, Inputs: resource.ToResourcePropertyMap(p.Properties)})
		}
	}
	return rec
}
