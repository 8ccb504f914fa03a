package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
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
	for _, stack := range stacktest.Stacks {
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
	code, out, errOut := runPlan(t, "--stack", "prod", "--dir", stacktest.Root(t))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	rec := stacktest.Preview(t, "prod")
	for _, r := range rec.Resources {
		if !strings.Contains(out, " "+r.Name+"\n") && !strings.Contains(out, " "+r.Name+"  [protect]\n") {
			t.Errorf("%s %s not in the text plan", r.Type, r.Name)
		}
	}
	if !strings.Contains(out, "├─ bpa:network:Network") || !strings.Contains(out, "to create") {
		t.Errorf("text plan lacks the tree or the summary:\n%s", out[:min(len(out), 2000)])
	}
}

func TestPlanNeverPrintsSecretValues(t *testing.T) {
	t.Parallel()
	for _, stack := range stacktest.Stacks {
		for _, format := range [][]string{{"--json"}, {}} {
			args := append([]string{"--stack", stack, "--dir", stacktest.Root(t)}, format...)
			code, out, errOut := runPlan(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if strings.Contains(out, harness.SecretPlaceholder) {
				t.Errorf("%s plan %v prints an encrypted config value", stack, format)
			}
		}
	}
}

func writeStack(t *testing.T, stackYAML string) string {
	t.Helper()
	dir := t.TempDir()
	project, err := os.ReadFile(filepath.Join(stacktest.Root(t), "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{"Pulumi.yaml": project, "Pulumi.bad.yaml": []byte(stackYAML)} {
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
			code, out, errOut := runPlan(t, "--stack", "bad", "--dir", writeStack(t, tc.yaml))
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
