package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/plan"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
)

func runPlan(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestJSONPlanListsEveryResourceInPreviewShape(t *testing.T) {
	t.Parallel()
	for _, stack := range stacktest.Stacks(t) {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runPlan(t, "--stack", stack, "--dir", stacktest.Root(t), "--json")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var p plan.Preview
			if err := json.Unmarshal([]byte(out), &p); err != nil {
				t.Fatalf("plan JSON does not parse: %v", err)
			}
			rec := stacktest.Preview(t, stack)
			urns := map[string]bool{}
			for _, s := range p.Steps {
				if s.Op != "create" || s.NewState.Type == "" || s.NewState.URN != s.URN {
					t.Errorf("malformed step %+v", s)
				}
				urns[s.URN] = true
			}
			for _, r := range rec.Resources {
				if !urns[r.URN] {
					t.Errorf("%s missing from the plan", r.URN)
				}
			}
			if got, want := p.ChangeSummary["create"], len(rec.Resources)+1; got != want {
				t.Errorf("changeSummary.create = %d, want %d", got, want)
			}
			if !urns[plan.StackURN(rec)] {
				t.Error("the stack itself is not a step")
			}
		})
	}
}

func TestTextPlanShowsTheTreeAndSummary(t *testing.T) {
	t.Parallel()
	for _, stack := range stacktest.Stacks(t) {
		code, out, errOut := runPlan(t, "--stack", stack, "--dir", stacktest.Root(t))
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", stack, code, errOut)
		}
		for _, r := range stacktest.Preview(t, stack).Resources {
			if !strings.Contains(out, " "+r.Name+"\n") && !strings.Contains(out, " "+r.Name+"  [protect]\n") {
				t.Errorf("%s: %s %s not in the text plan", stack, r.Type, r.Name)
			}
		}
		if !strings.Contains(out, "├─ bpa:network:Network") || !strings.Contains(out, "to create") {
			t.Errorf("%s: text plan lacks the tree or the summary:\n%s", stack, out[:min(len(out), 2000)])
		}
	}
}

func TestPlanNeverPrintsSecretValues(t *testing.T) {
	t.Parallel()
	// A key Pulumi.yaml declares plain, set with --secret: its value stays
	// secret in every input it reaches (the owner in every tag).
	lab := fixture(t, stacktest.Lab)
	for _, key := range []string{"bpa:owner"} {
		lab = regexp.MustCompile(`(?m)^  `+key+`: .*$`).ReplaceAllString(lab, "  "+key+":\n    secure: v1:ZW5jcnlwdGVk")
	}
	stacks := map[string]string{testStack: writeStack(t, lab)}
	for _, stack := range stacktest.Stacks(t) {
		stacks[stack] = stacktest.Root(t)
	}
	for stack, dir := range stacks {
		for _, format := range [][]string{{"--json"}, {}, {"--summary"}, {"--policy"}} {
			args := append([]string{"--stack", stack, "--dir", dir}, format...)
			code, out, errOut := runPlan(t, args...)
			if code != 0 {
				t.Fatalf("%s %v: exit %d: %s", stack, format, code, errOut)
			}
			if strings.Contains(out+errOut, harness.SecretPlaceholder) {
				t.Errorf("%s plan %v prints an encrypted config value", stack, format)
			}
		}
	}
}

// An invalid value of a key the stack stores encrypted is named, never shown.
func TestConfigErrorsNeverShowASecretValue(t *testing.T) {
	t.Parallel()
	lab := regexp.MustCompile(`(?m)^  bpa:atlasOrgId: .*$`).ReplaceAllString(fixture(t, stacktest.Lab), "  bpa:atlasOrgId:\n    secure: v1:ZW5jcnlwdGVk")
	code, out, errOut := runPlan(t, "--stack", testStack, "--dir", writeStack(t, lab))
	// The placeholder that stands in for it is no Atlas id: refused, unshown.
	if code != 1 || !strings.Contains(errOut, "bpa:atlasOrgId") || strings.Contains(out+errOut, harness.SecretPlaceholder) {
		t.Errorf("exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
}

// testStack is the stack writeStack writes.
const testStack = "test"

// fixture is the text of a fixture stack's file.
func fixture(t *testing.T, name string) string {
	t.Helper()
	return stacktest.ReadFile(t, harness.FixtureFile("", name))
}

// writeStack writes a project directory with Pulumi.yaml and stackYAML as
// the file of testStack.
func writeStack(t *testing.T, stackYAML string) string {
	t.Helper()
	dir := t.TempDir()
	project, err := os.ReadFile(filepath.Join(stacktest.Root(t), "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{"Pulumi.yaml": project, "Pulumi." + testStack + ".yaml": []byte(stackYAML)} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestBadConfigExitsNonZeroNamingTheKey(t *testing.T) {
	t.Parallel()
	cases := map[string]struct{ yaml, says string }{
		"invalid value": {`config:
  bpa:region: us-west-2
  bpa:availabilityZones: [us-west-2a, us-west-2b]
  bpa:customer: acme
  bpa:environment: qa
  bpa:owner: me
`, "bpa:availabilityZones"},
		"wrong declared type": {`config:
  bpa:region: us-west-2
  bpa:availabilityZones: [us-west-2a, us-west-2b, us-west-2c]
  bpa:customer: acme
  bpa:environment: qa
  bpa:owner: me
  bpa:interfaceEndpoints: sometimes
`, "bpa:interfaceEndpoints"},
		"missing required key": {`config:
  bpa:region: us-west-2
`, "bpa:customer"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runPlan(t, "--stack", testStack, "--dir", writeStack(t, tc.yaml))
			if code == 0 {
				t.Fatalf("bad config exited 0:\n%s", out)
			}
			if !strings.Contains(errOut, tc.says) {
				t.Errorf("error does not name %s:\n%s", tc.says, errOut)
			}
			if out != "" {
				t.Errorf("a plan was printed for bad config:\n%s", out)
			}
		})
	}
}

func TestUnknownStackOrNoStackFails(t *testing.T) {
	t.Parallel()
	if code, _, errOut := runPlan(t, "--stack", "nosuch", "--dir", stacktest.Root(t)); code == 0 || !strings.Contains(errOut, "Pulumi.nosuch.yaml") {
		t.Errorf("unknown stack: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runPlan(t); code == 0 || !strings.Contains(errOut, "--stack") {
		t.Errorf("no stack: exit %d, %q", code, errOut)
	}
}

func TestPolicyReportPassesForBothStacks(t *testing.T) {
	t.Parallel()
	for _, stack := range stacktest.Stacks(t) {
		code, out, errOut := runPlan(t, "--stack", stack, "--dir", stacktest.Root(t), "--policy")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", stack, code, errOut)
		}
		if !strings.Contains(out, "Policy passed: ") || !strings.Contains(out, " 0 mandatory") {
			t.Errorf("%s: no passing summary line:\n%s", stack, out)
		}
	}
}

func TestJSONPlanCarriesThePolicyReport(t *testing.T) {
	t.Parallel()
	code, out, errOut := runPlan(t, "--stack", testStack, "--dir", writeStack(t, fixture(t, stacktest.Lab)), "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Policy struct {
			Rules    int
			Findings []struct{ Rule, Severity, WaivedBecause string }
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	waived := 0
	for _, f := range doc.Policy.Findings {
		if f.WaivedBecause != "" {
			waived++
		}
	}
	if doc.Policy.Rules == 0 || waived == 0 {
		t.Errorf("policy in JSON: %d rules, %d waived findings", doc.Policy.Rules, waived)
	}
}

// liveWith is the Live fixture's stack file with one line replaced.
func liveWith(t *testing.T, old, replacement string) string {
	t.Helper()
	live := fixture(t, stacktest.Live)
	if !strings.Contains(live, old) {
		t.Fatalf("the %s fixture has no %q", stacktest.Live, old)
	}
	return strings.Replace(live, old, replacement, 1)
}

func TestMandatoryViolationFailsThePlan(t *testing.T) {
	t.Parallel()
	// Valid config, but a protected stack must keep a week of backups.
	dir := writeStack(t, liveWith(t, "bpa:postgresBackupRetentionDays: 7", "bpa:postgresBackupRetentionDays: 3"))
	for _, mode := range []string{"--policy", "--summary"} {
		code, out, errOut := runPlan(t, "--stack", testStack, "--dir", dir, mode)
		if code != 1 || !strings.Contains(errOut, "1 mandatory policy violations") {
			t.Errorf("%s: exit %d, stderr %q", mode, code, errOut)
		}
		if !strings.Contains(out, "MANDATORY rds-backups-week") || !strings.Contains(out, "Policy FAILED") {
			t.Errorf("%s: the violation is not listed:\n%s", mode, out)
		}
	}
}

func TestWaivingAMandatoryRuleIsRejectedBeforeRunning(t *testing.T) {
	t.Parallel()
	dir := writeStack(t, liveWith(t, "  bpa:policyWaivers: {}\n", "  bpa:policyWaivers:\n    rds-not-public: the database must be reachable from the office\n"))
	code, out, errOut := runPlan(t, "--stack", testStack, "--dir", dir)
	if code != 1 || !strings.Contains(errOut, `bpa:policyWaivers: "rds-not-public" is a mandatory rule`) {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	if out != "" {
		t.Errorf("a plan was printed:\n%s", out)
	}
}

// The plan of each stack carries the critical path and the monthly cost,
// as text and in JSON; their figures are asserted in internal/deploytime
// and internal/cost.
func TestPlanShowsCriticalPathAndCost(t *testing.T) {
	t.Parallel()
	for _, stack := range stacktest.Stacks(t) {
		code, out, errOut := runPlan(t, "--stack", stack, "--dir", stacktest.Root(t), "--json")
		if code != 0 || errOut != unsetSecretsNote(t, stack) {
			t.Fatalf("%s: exit %d: %s", stack, code, errOut)
		}
		var doc struct {
			CriticalPath struct {
				SerialSeconds, CriticalPathSeconds int
				Chain                              []struct{ URN string }
				NodeRoll                           *struct {
					Seconds int
					Chain   []string
				}
			}
			Cost *struct {
				Total      float64
				PricesDate string
			}
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		cp := doc.CriticalPath
		if cp.CriticalPathSeconds <= 0 || cp.SerialSeconds <= cp.CriticalPathSeconds || len(cp.Chain) == 0 {
			t.Errorf("%s: criticalPath %+v", stack, cp)
		}
		if doc.Cost == nil || doc.Cost.Total <= 0 || doc.Cost.PricesDate == "" {
			t.Errorf("%s: cost %+v", stack, doc.Cost)
		}
		if roll := cp.NodeRoll; roll == nil || roll.Seconds <= 0 || len(roll.Chain) == 0 {
			t.Errorf("%s: criticalPath.nodeRoll %+v, want the node groups' roll", stack, roll)
		}

		code, out, _ = runPlan(t, "--stack", stack, "--dir", stacktest.Root(t), "--summary")
		for _, want := range []string{"Policies:", "Serial sum: ", "Critical path: ", "Rolling every node", "TOTAL per month", "data transfer"} {
			if code != 0 || !strings.Contains(out, want) {
				t.Errorf("%s: text plan (exit %d) lacks %q", stack, code, want)
			}
		}
	}
}

// A region without a price table leaves the cost out and says so; the plan
// itself still succeeds.
func TestPlanWithoutPricesStillRenders(t *testing.T) {
	t.Parallel()
	stack := liveWith(t, "bpa:region: us-west-2", "bpa:region: eu-central-1")
	stack = strings.ReplaceAll(stack, "us-west-2", "eu-central-1")
	code, out, errOut := runPlan(t, "--stack", testStack, "--dir", writeStack(t, stack), "--summary")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "no cost estimate") || !strings.Contains(out, "Monthly cost:\nnot estimated: ") || !strings.Contains(out, "eu-central-1") {
		t.Errorf("missing price table not reported:\nstderr %s\n%s", errOut, out[max(0, len(out)-500):])
	}
}

// unsetSecretsNote is what the plan says of a stack whose file lacks the
// secrets Pulumi.yaml requires (the committed examples: their secrets are
// set per deployment, never committed), or nothing once the file holds them.
func unsetSecretsNote(t *testing.T, stack string) string {
	t.Helper()
	file := stacktest.ReadFile(t, "Pulumi."+stack+".yaml")
	var unset []string
	for _, key := range []string{"bpa:tlsCertificate", "bpa:tlsPrivateKey"} {
		if !strings.Contains(file, "\n  "+key+":") {
			unset = append(unset, key)
		}
	}
	if len(unset) == 0 {
		return ""
	}
	return "plan: stack " + stack + " does not set the secrets " + strings.Join(unset, ", ") + "; they stand in as [secret], " +
		"and pulumi preview/up refuse the stack until they are set (pulumi config set --secret <key> < file)\n"
}

// A stack file that holds its secrets gets no note: only missing ones are
// named.
func TestPlanNamesOnlyTheSecretsAStackLacks(t *testing.T) {
	t.Parallel()
	dir := writeStack(t, fixture(t, stacktest.Lab)+"  bpa:tlsCertificate:\n    secure: v1:ZW5jcnlwdGVk\n")
	code, _, errOut := runPlan(t, "--stack", testStack, "--dir", dir, "--summary")
	want := "plan: stack " + testStack + " does not set the secrets bpa:tlsPrivateKey; "
	if code != 0 || !strings.HasPrefix(errOut, want) {
		t.Errorf("exit %d, stderr %q; want it to start %q", code, errOut, want)
	}
}

// --policy-pack-config, what the workflows hand `pulumi --policy-pack-config`,
// waives exactly the rules the stack's bpa:policyWaivers waives, each with
// its reason as the pack's waivedBecause.
func TestPolicyPackConfigIsTheStacksWaivers(t *testing.T) {
	t.Parallel()
	for _, stack := range stacktest.Stacks(t) {
		code, out, errOut := runPlan(t, "--stack", stack, "--dir", stacktest.Root(t), "--policy-pack-config")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", stack, code, errOut)
		}
		var got map[string]map[string]string
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%s: not JSON: %v\n%s", stack, err, out)
		}
		var waivers map[string]string
		if err := json.Unmarshal([]byte(stacktest.Setting(t, stack, "bpa:policyWaivers")), &waivers); err != nil {
			t.Fatal(err)
		}
		want := map[string]map[string]string{}
		for rule, reason := range waivers {
			want[rule] = map[string]string{"waivedBecause": reason}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: pack config %v, want %v", stack, got, want)
		}
	}
}
