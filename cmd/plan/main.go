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
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	// Outputs are the stack's exports, [secret] and [unknown] in place.
	Outputs      map[string]any    `json:"outputs"`
	Policy       *policy.Report    `json:"policy"`
	CriticalPath deploytime.Result `json:"criticalPath"`
	Cost         *cost.Report      `json:"cost"`
	// CostError says why there is no cost (a region or type the price table
	// lacks); it does not fail the plan.
	CostError string `json:"costError,omitempty"`
}

const usage = "usage: go run ./cmd/plan --stack <stack> [--dir <project dir>] [--json | --summary | --policy | --policy-pack-config]"

func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("plan", flag.ContinueOnError)
	flags.SetOutput(stderr)
	stack := flags.String("stack", "", "stack to render (reads Pulumi.<stack>.yaml)")
	dir := flags.String("dir", "", "directory holding Pulumi.yaml (default: the current directory or the nearest above it)")
	// No backquotes in the texts: flag would take them for the value's name.
	asJSON := flags.Bool("json", false, "print the plan as pulumi preview --json does, with policy, critical path, cost and outputs")
	summary := flags.Bool("summary", false, "print only the resource tree, without inputs")
	policyOnly := flags.Bool("policy", false, "print only the policy report")
	packConfig := flags.Bool("policy-pack-config", false, "print the policy pack's config for the stack (its waivers), for pulumi --policy-pack-config")
	flags.Usage = func() {
		fmt.Fprintln(flags.Output(), usage)
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			flags.SetOutput(stdout)
			flags.Usage()
			return 0
		}
		return 2
	}
	switch {
	case flags.NArg() > 0:
		fmt.Fprintf(stderr, "plan: unexpected argument %q\n%s\n", flags.Arg(0), usage)
		return 2
	case *stack == "":
		fmt.Fprintf(stderr, "plan: --stack is required (for example --stack dev)\n%s\n", usage)
		return 2
	case countTrue(*asJSON, *summary, *policyOnly, *packConfig) > 1:
		fmt.Fprintf(stderr, "plan: --json, --summary, --policy and --policy-pack-config are different outputs; choose one\n%s\n", usage)
		return 2
	}
	projectDir, err := findProject(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "plan: %v\n", err)
		return 2
	}
	*dir = projectDir
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
	cfg, err := config.ParseSource(*stack, opts.Source())
	if err != nil {
		return fail(err)
	}
	rules, err := policy.NewSettings(cfg)
	if err != nil {
		return fail(err)
	}
	if *packConfig {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(policy.PackConfig(rules)); err != nil {
			return fail(err)
		}
		return 0
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
	out := output{Preview: plan.Build(rec), Outputs: plan.Outputs(rec), Policy: report, CriticalPath: deploytime.Analyze(rec)}
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
		{"Outputs:", func(w io.Writer) error { return plan.WriteOutputs(w, rec) }},
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

func countTrue(flags ...bool) int {
	n := 0
	for _, f := range flags {
		if f {
			n++
		}
	}
	return n
}

// findProject is the directory holding Pulumi.yaml: the one given, or the
// current directory or the nearest above it.
func findProject(dir string) (string, error) {
	if dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "Pulumi.yaml")); err != nil {
			return "", fmt.Errorf("no Pulumi.yaml in %s", dir)
		}
		return dir, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "Pulumi.yaml")); err == nil {
			return d, nil
		}
		if d == filepath.Dir(d) {
			return "", fmt.Errorf("no Pulumi.yaml in %s or above; run from the repository or pass --dir", wd)
		}
	}
}
