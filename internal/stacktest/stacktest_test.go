package stacktest_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
)

// A fixture that left a key to Pulumi.yaml would make the tests that pin
// its values fail when that default changes.
func TestLabAndLiveSetEveryKey(t *testing.T) {
	t.Parallel()
	root := stacktest.Root(t)
	proj, err := workspace.LoadProject(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, fixture := range []string{stacktest.Lab, stacktest.Live} {
		path := harness.FixtureFile(root, fixture)
		ps, err := workspace.LoadProjectStack(nil, proj, path)
		if err != nil {
			t.Fatal(err)
		}
		set := map[string]bool{}
		for k := range ps.Config {
			set[k.String()] = true
		}
		for key, decl := range proj.Config {
			if decl.Secret || decl.Value != nil {
				continue // set per deployment, or fixed by the project
			}
			if full := proj.Name.String() + ":" + key; !set[full] {
				t.Errorf("%s does not set %s", path, full)
			}
		}
	}
}

// A committed stack named like a fixture would be shadowed by it in the tests.
func TestFixturesAreTheDeclaredOnesAndNoCustomerIsNamedLikeOne(t *testing.T) {
	t.Parallel()
	root := stacktest.Root(t)
	fixtures, err := harness.StackNames(filepath.Join(root, harness.FixtureDir))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fixtures, slices.Sorted(slices.Values(stacktest.Fixtures))) {
		t.Errorf("%s holds %v, want %v", harness.FixtureDir, fixtures, stacktest.Fixtures)
	}
	for _, stack := range stacktest.Stacks(t) {
		if slices.Contains(stacktest.Fixtures, stack) {
			t.Errorf("committed stack %s has a fixture's name; rename the stack", stack)
		}
	}
}
