package enginetest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/pkg/v3/resource/deploy"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	bpa "github.com/bpa-infra/bpa-infra"

	"github.com/bpa-infra/bpa-infra/enginetest"
	"github.com/bpa-infra/bpa-infra/internal/policy"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
)

var pack struct {
	once sync.Once
	path string
	err  error
}

// policyPack builds the pack as CI does (go build ./policy), once.
func policyPack(t *testing.T) string {
	t.Helper()
	pack.once.Do(func() {
		dir, err := os.MkdirTemp("", "bpa-policy")
		if err != nil {
			pack.err = err
			return
		}
		pack.path = filepath.Join(dir, "bpa-policy")
		cmd := exec.Command("go", "build", "-o", pack.path, "./policy")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			pack.err = fmt.Errorf("go build ./policy: %w\n%s", err, out)
		}
	})
	if pack.err != nil {
		t.Fatal(pack.err)
	}
	return pack.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if pack.path != "" {
		_ = os.RemoveAll(filepath.Dir(pack.path))
	}
	os.Exit(code)
}

// packConfig writes the stack's --policy-pack-config file, as
// `go run ./cmd/plan --stack S --policy-pack-config` prints it.
func packConfig(t *testing.T, name string) (string, policy.Settings) {
	t.Helper()
	s, err := policy.NewSettings(stacktest.Config(t, name))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(policy.PackConfig(s))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "policy-config.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, s
}

// finding is a policy result as both reports can state it.
type finding struct {
	rule   string
	level  string
	urn    string
	waived bool
}

func (f finding) String() string {
	w := ""
	if f.waived {
		w = " (waived)"
	}
	return fmt.Sprintf("%s %s %s%s", f.level, f.rule, f.urn, w)
}

// offlineURN is the resource the offline plan judges for one the engine
// shows: a child of a component registered without inputs (pulumi-eks's)
// stands for the component, whose arguments the offline plan reads.
func offlineURN(snap *deploy.Snapshot, urn resource.URN) string {
	parents := map[resource.URN]resource.URN{}
	types := map[resource.URN]string{}
	for _, r := range snap.Resources {
		parents[r.URN], types[r.URN] = r.Parent, string(r.Type)
	}
	for cur := parents[urn]; cur != ""; cur = parents[cur] {
		if slices.Contains(policy.InputlessComponents, types[cur]) {
			return string(cur)
		}
	}
	return string(urn)
}

func engineFindings(res *enginetest.Result, snap *deploy.Snapshot) map[string]finding {
	out := map[string]finding{}
	for _, v := range res.Violations {
		level := string(policy.Advisory)
		if v.Level == apitype.Mandatory {
			level = string(policy.Mandatory)
		}
		f := finding{v.Policy, level, offlineURN(snap, v.URN), strings.Contains(v.Message, "waived (")}
		out[f.String()] = f
	}
	return out
}

// The pack, started by the engine as the CLI starts it, finds under the
// real engine what the offline report finds: after `up`, every value
// known, the same mandatory, advisory and waived findings; in the preview
// of a new stack, each of those either found or noted undecided, and
// nothing else.
func TestPolicyPackFindsWhatTheOfflineReportFinds(t *testing.T) {
	forEachStack(t, func(t *testing.T, name string) {
		cfgPath, settings := packConfig(t, name)
		e := newEngine(t)
		e.PolicyPack, e.PolicyPackConfig = policyPack(t), cfgPath
		s := load(t, name)
		preview := e.Preview(s, nil)
		update := e.Update(s, nil)
		if preview.Err != nil || update.Err != nil {
			t.Fatalf("preview: %v; update: %v\n%s", preview.Err, update.Err, strings.Join(append(preview.Errors(), update.Errors()...), "\n"))
		}
		want := map[string]finding{}
		for _, f := range policy.Evaluate(stacktest.Resolved(t, name), settings).Findings {
			w := finding{f.Rule, string(f.Severity), f.URN, f.WaivedBecause != ""}
			want[w.String()] = w
		}
		got := engineFindings(update, update.Snapshot)
		for k := range want {
			if _, ok := got[k]; !ok {
				t.Errorf("update: the offline report finds %s, the pack does not", k)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("update: the pack finds %s, the offline report does not", k)
			}
		}
		undecided := strings.Join(preview.Notes, "\n")
		for k := range engineFindings(preview, update.Snapshot) {
			if _, ok := want[k]; !ok {
				t.Errorf("preview: the pack finds %s, the offline report does not", k)
			}
			delete(want, k)
		}
		for k, f := range want {
			if !strings.Contains(undecided, "policy "+f.rule+": ") {
				t.Errorf("preview: %s is neither found nor noted undecided", k)
			}
		}
	})
}

// A mandatory rule gates the real engine: the preview fails, and `up`
// stops before it creates the resource, which the engine asks the pack
// about before its step.
func TestPolicyPackStopsAMandatoryViolationBeforeItsStep(t *testing.T) {
	t.Parallel()
	const rds = "aws:rds/instance:Instance"
	cfgPath, _ := packConfig(t, stacktest.Live)
	e := &enginetest.Engine{T: t, PolicyPack: policyPack(t), PolicyPackConfig: cfgPath, Program: func(ctx *pulumi.Context) error {
		err := ctx.RegisterResourceTransform(func(_ context.Context, a *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
			if a.Type != rds {
				return nil
			}
			a.Props["storageEncrypted"] = pulumi.Bool(false)
			return &pulumi.ResourceTransformResult{Props: a.Props, Opts: a.Opts}
		})
		if err != nil {
			return err
		}
		return bpa.Program(ctx)
	}}
	s := load(t, stacktest.Live)
	for _, res := range []*enginetest.Result{e.Preview(s, nil), e.Update(s, nil)} {
		if res.Err == nil {
			t.Error("an unencrypted RDS instance passed the pack")
		}
		found := false
		for _, v := range res.Violations {
			found = found || v.Policy == "rds-storage-encrypted" && v.Level == apitype.Mandatory
		}
		if !found {
			t.Errorf("no mandatory rds-storage-encrypted violation in %v", res.Violations)
		}
		for _, op := range res.Cloud.Ops() {
			if op.URN.Type() == rds {
				t.Errorf("the cloud was asked to %s the unencrypted instance %s", op.Kind, op.URN)
			}
		}
	}
}
