package bpa_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
)

const awsProviderType = "pulumi:providers:aws"

// Tags come from the provider's default tags, so every AWS resource must be
// created through the one tagged provider and none through a default one.
func TestEveryAWSResourceUsesTheTaggedProvider(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		providers := rec.OfType(awsProviderType)
		if len(providers) != 1 {
			t.Fatalf("want one explicit AWS provider, got %d", len(providers))
		}
		p := providers[0]
		// The tags are the stack's own settings, as the CLI hands them over.
		tags, _ := stacktest.Input(p, "defaultTags.tags").(map[string]any)
		want := map[string]string{}
		if err := json.Unmarshal([]byte(stacktest.Setting(t, stack, "bpa:extraTags")), &want); err != nil {
			t.Fatalf("bpa:extraTags: %v", err)
		}
		for _, k := range []string{"customer", "environment", "owner"} {
			want[k] = stacktest.Setting(t, stack, "bpa:"+k)
		}
		for k, w := range want {
			if tags[k] != w {
				t.Errorf("default tag %s = %v, want %s", k, tags[k], w)
			}
		}
		if region := stacktest.Setting(t, stack, "bpa:region"); stacktest.Input(p, "region") != region {
			t.Errorf("provider region %v, want bpa:region %s", stacktest.Input(p, "region"), region)
		}
		n := 0
		for _, r := range rec.Resources {
			if strings.HasPrefix(r.Type, "aws:") {
				n++
				if r.Provider != p.URN {
					t.Errorf("%s %s uses provider %q, not the tagged one", r.Type, r.Name, r.Provider)
				}
			}
		}
		if n == 0 {
			t.Fatal("no AWS resources recorded")
		}
	})
}

// A default provider would act with whatever the environment of `pulumi up`
// points at (a kubeconfig's current context, ambient credentials): every
// package but pulumi-random has its default disabled, and every resource of
// those packages names an explicit provider.
func TestDefaultProvidersAreDisabledAndNeverUsed(t *testing.T) {
	t.Parallel()
	for _, stack := range stacktest.EveryStack(t) {
		var disabled []string
		if err := json.Unmarshal([]byte(stacktest.Options(t, stack).Config["pulumi:disable-default-providers"]), &disabled); err != nil {
			t.Fatalf("pulumi:disable-default-providers: %v", err)
		}
		slices.Sort(disabled)
		if want := []string{"aws", "kubernetes", "mongodbatlas", "postgresql"}; !slices.Equal(disabled, want) {
			t.Errorf("default providers disabled: %v, want %v", disabled, want)
		}
		for _, r := range stacktest.Preview(t, stack).Resources {
			pkg, _, _ := strings.Cut(r.Type, ":")
			if r.Custom && !strings.HasPrefix(r.Type, "pulumi:providers:") && pkg != "random" && r.Provider == "" {
				t.Errorf("%s: %s %s would use the default %s provider", stack, r.Type, r.Name, pkg)
			}
		}
	}
}
