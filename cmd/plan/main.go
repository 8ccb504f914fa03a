// Command plan renders a stack's whole plan offline: it runs the program
// under the Pulumi SDK's mock monitor with the stack's real Pulumi.yaml and
// Pulumi.<stack>.yaml, as a preview would, prints what would be created,
// checks it against the policy rules (internal/policy), and estimates how
// long its creation takes (internal/deploytime) and what it costs a month
// (internal/cost).
//
//	go run ./cmd/plan --stack dev [--json | --summary | --policy]
//
// It exits 1 on invalid config and on a mandatory policy violation, 2 on
// bad usage. Secure config values are never decrypted; they stand in as
// secrets.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	bpa "github.com/bpa-infra/bpa-infra"
	"github.com/bpa-infra/bpa-infra/internal/config"
	"github.com/bpa-infra/bpa-infra/internal/cost"
	"github.com/bpa-infra/bpa-infra/internal/deploytime"
	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/plan"
	"github.com/bpa-infra/bpa-infra/internal/policy"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// output is the --json document: `pulumi preview --json`'s shape, with the
// policy report, the deployment's critical path and the monthly cost beside
// the steps.
type output struct {
	plan.Preview
	Policy       *policy.Report    `json:"policy"`
	CriticalPath deploytime.Result `json:"criticalPath"`
	Cost         *cost.Report      `json:"cost"`
	// CostError says why there is no cost (a region or type the price table
	// lacks); it does not fail the plan.
	CostError string `json:"costError,omitempty"`
}

func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("plan", flag.ContinueOnError)
	flags.SetOutput(stderr)
	stack := flags.String("stack", "", "stack to render (reads Pulumi.<stack>.yaml)")
	dir := flags.String("dir", ".", "directory holding Pulumi.yaml")
	asJSON := flags.Bool("json", false, "print the plan as `pulumi preview --json` does, with the policy report")
	summary := flags.Bool("summary", false, "print only the resource tree, without inputs")
	policyOnly := flags.Bool("policy", false, "print only the policy report")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if *stack == "" {
		fmt.Fprintln(stderr, "plan: --stack is required (for example --stack dev)")
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "plan: stack %s: %v\n", *stack, err)
		return 1
	}
	opts, err := harness.LoadStack(*dir, *stack)
	if err != nil {
		fmt.Fprintf(stderr, "plan: %v\n", err)
		return 1
	}
	if len(opts.UnsetSecrets) > 0 {
		fmt.Fprintf(stderr, "plan: stack %s does not set the secrets %s; they stand in as [secret], and pulumi preview/up refuse the stack until they are set (pulumi config set --secret <key> < file)\n",
			*stack, strings.Join(opts.UnsetSecrets, ", "))
	}
	// Config and waivers are checked before anything is registered.
	cfg, err := config.Parse(*stack, opts.Lookup, opts.IsSecret)
	if err != nil {
		return fail(err)
	}
	rules, err := policy.NewSettings(cfg)
	if err != nil {
		return fail(err)
	}
	rec, err := harness.Run(bpa.Program, opts)
	if err != nil {
		return fail(err)
	}
	// The rules read computed documents (IAM policies built from ARNs), so
	// they run over a second, resolved run of the same program.
	resolvedOpts := opts
	resolvedOpts.Resolve = true
	resolved, err := harness.Run(bpa.Program, resolvedOpts)
	if err != nil {
		return fail(err)
	}
	report := policy.Evaluate(resolved, rules)

	if *policyOnly {
		err = report.WriteText(stdout)
	} else {
		err = writePlan(stdout, stderr, rec, report, *asJSON, !*summary)
	}
	if err != nil {
		return fail(err)
	}
	if !report.Passed() {
		fmt.Fprintf(stderr, "plan: stack %s: %d mandatory policy violations\n", *stack, report.Count(policy.Mandatory))
		return 1
	}
	return 0
}

// writePlan writes the whole plan: the resources, then the policy report,
// the critical path and the monthly cost.
func writePlan(stdout, stderr io.Writer, rec *harness.Recording, report *policy.Report, asJSON, details bool) error {
	out := output{Preview: plan.Build(rec), Policy: report, CriticalPath: deploytime.Analyze(rec)}
	var err error
	if out.Cost, err = cost.Estimate(rec); err != nil {
		out.CostError = err.Error()
		fmt.Fprintf(stderr, "plan: no cost estimate: %v\n", err)
	}
	if asJSON {
		return plan.WriteJSON(stdout, out)
	}
	sections := []struct {
		title string
		write func(io.Writer) error
	}{
		{"", func(w io.Writer) error { return plan.WriteText(w, rec, out.Preview, details) }},
		{"Policies:", report.WriteText},
		{"Deployment time (typical create durations, internal/deploytime):", out.CriticalPath.WriteText},
		{"Monthly cost:", func(w io.Writer) error {
			if out.Cost == nil {
				_, err := fmt.Fprintf(w, "not estimated: %s\n", out.CostError)
				return err
			}
			return out.Cost.WriteText(w)
		}},
	}
	for _, sec := range sections {
		if sec.title != "" {
			if _, err := fmt.Fprintf(stdout, "\n%s\n", sec.title); err != nil {
				return err
			}
		}
		if err := sec.write(stdout); err != nil {
			return err
		}
	}
	return nil
}
