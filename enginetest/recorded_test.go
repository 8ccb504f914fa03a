package enginetest_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/pkg/v3/resource/deploy"
	"github.com/pulumi/pulumi/pkg/v3/resource/stack"
	"github.com/pulumi/pulumi/pkg/v3/secrets"
	"github.com/pulumi/pulumi/pkg/v3/secrets/b64"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/bpa-infra/bpa-infra/internal/stacktest"
)

var recordState = flag.Bool("record-state", false,
	"rewrite testdata/state-<stack>.json from a first deployment of the program as it is")

// recordedStacks must have a recorded state: Lab and Live, whose values
// only a change to the program's tests moves. A customer's stack may have
// one too, and then a change to its file is recorded again with it.
var recordedStacks = []string{stacktest.Lab, stacktest.Live}

func recordedStatePath(name string) string {
	return filepath.Join("testdata", "state-"+name+".json")
}

// The state a first `up` of each fixture stack leaves
// (testdata/state-<stack>.json, as a backend stores it) is what the program
// deploys: against it, the program's preview is all `same`. A change that
// renames a resource, moves it to another parent or changes an input fails
// here, so a refactor shows it changes nothing; an intended change is
// recorded again and reviewed as the diff of the file:
//
//	cd enginetest && go test -run TestRecordedStateIsWhatTheProgramDeploys ./ -record-state
//
// The secrets in the file are the tests' own values (secretValue, the fake
// cloud's passwords), base64-encoded by Pulumi's b64 secrets manager.
func TestRecordedStateIsWhatTheProgramDeploys(t *testing.T) {
	forEachStack(t, func(t *testing.T, name string) {
		path := recordedStatePath(name)
		_, statErr := os.Stat(path)
		if errors.Is(statErr, os.ErrNotExist) && !slices.Contains(recordedStacks, name) {
			t.Skipf("%s has no recorded state (optional for a customer's stack)", name)
		}
		if *recordState {
			writeRecordedState(t, name, path)
			return
		}
		snap, err := readRecordedState(path)
		if err != nil {
			t.Fatalf("%v; record it with -record-state", err)
		}
		res := newEngine(t).Preview(load(t, name), snap)
		if res.Err != nil {
			t.Fatalf("preview against the recorded state: %v\n%s", res.Err, strings.Join(res.Errors(), "\n"))
		}
		for _, step := range res.Steps {
			if step.Op != deploy.OpSame {
				t.Errorf("%s %s (diffs %v, replace keys %v)", step.Op, step.URN, step.Diffs, step.Keys)
			}
		}
		if t.Failed() {
			t.Log("if the change is intended, record the state again (-record-state) and review the diff of " + path)
		}
	})
}

func writeRecordedState(t *testing.T, name, path string) {
	t.Helper()
	dep := backendState(t, name)
	// Times, provider ids and registration order would make every
	// recording differ from the last.
	dep.Manifest.Time = time.Time{}
	for i := range dep.Resources {
		r := &dep.Resources[i]
		r.Created, r.Modified = nil, nil
		slices.Sort(r.Dependencies)
		for _, deps := range r.PropertyDependencies {
			slices.Sort(deps)
		}
	}
	ids := stableProviderIDs(dep.Resources)
	dep.Resources = stableOrder(dep.Resources)
	b, err := json.MarshalIndent(dep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = []byte(ids.Replace(string(b))) // provider references inside outputs
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readRecordedState(path string) (*deploy.Snapshot, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var dep apitype.DeploymentV3
	if err := json.Unmarshal(b, &dep); err != nil {
		return nil, err
	}
	return stack.DeserializeDeploymentV3(context.Background(), dep, b64Secrets{})
}

// b64Secrets opens the recorded state's secrets.
type b64Secrets struct{}

func (b64Secrets) OfType(_ context.Context, ty string, _ json.RawMessage) (secrets.Manager, error) {
	if ty != b64.Type {
		return nil, errors.New("recorded state: secrets manager " + ty + ", want " + b64.Type)
	}
	return b64.NewBase64SecretsManager(), nil
}

// stableProviderIDs gives each provider an id made of its URN, in place of
// the engine's random one, and points its resources at it; the replacer
// rewrites the old ids wherever else they appear.
func stableProviderIDs(rs []apitype.ResourceV3) *strings.Replacer {
	refs := map[string]string{}
	var oldNew []string
	for i, r := range rs {
		if strings.HasPrefix(string(r.Type), "pulumi:providers:") {
			sum := sha256.Sum256([]byte(r.URN))
			id := "recorded-" + hex.EncodeToString(sum[:8])
			refs[string(r.URN)+"::"+string(r.ID)] = string(r.URN) + "::" + id
			oldNew = append(oldNew, string(r.ID), id)
			rs[i].ID = resource.ID(id)
		}
	}
	for i, r := range rs {
		if ref, ok := refs[r.Provider]; ok {
			rs[i].Provider = ref
		}
	}
	return strings.NewReplacer(oldNew...)
}

// stableOrder sorts the resources by URN as far as the state allows: each
// after its parent, provider and dependencies (Kahn's algorithm, the
// smallest URN first).
func stableOrder(rs []apitype.ResourceV3) []apitype.ResourceV3 {
	needs := func(r apitype.ResourceV3) []resource.URN {
		out := append([]resource.URN{r.Parent}, r.Dependencies...)
		for _, deps := range r.PropertyDependencies {
			out = append(out, deps...)
		}
		if urn, _, ok := strings.Cut(r.Provider, "::"+"recorded-"); ok {
			out = append(out, resource.URN(urn))
		}
		return append(out, r.DeletedWith)
	}
	present := map[resource.URN]bool{}
	for _, r := range rs {
		present[r.URN] = true
	}
	done := map[resource.URN]bool{}
	rest := slices.Clone(rs)
	slices.SortFunc(rest, func(a, b apitype.ResourceV3) int { return strings.Compare(string(a.URN), string(b.URN)) })
	out := make([]apitype.ResourceV3, 0, len(rs))
	for len(rest) > 0 {
		i := slices.IndexFunc(rest, func(r apitype.ResourceV3) bool {
			return !slices.ContainsFunc(needs(r), func(u resource.URN) bool { return u != "" && present[u] && !done[u] })
		})
		if i < 0 {
			return rs // a cycle cannot be in a valid state; keep the engine's order
		}
		done[rest[i].URN] = true
		out = append(out, rest[i])
		rest = slices.Delete(rest, i, i+1)
	}
	return out
}
