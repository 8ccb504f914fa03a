package registry_test

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
	"github.com/bpa-infra/bpa-infra/registry"
)

const (
	repoType      = "aws:ecr/repository:Repository"
	lifecycleType = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
	policyType    = "aws:iam/policy:Policy"
	attachType    = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
)

var images = []string{"bpa/auth", "bpa/core", "bpa/ui", "bpa/workflow-engine"}

func TestOneHardenedRepositoryPerImage(t *testing.T) {
	t.Parallel()
	mutability := map[string]string{"dev": "MUTABLE", "prod": "IMMUTABLE"}
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		key := rec.Find("aws:kms/key:Key", "registry-key")
		if key == nil || stacktest.Input(key, "enableKeyRotation") != true {
			t.Fatal("registry KMS key missing or without rotation")
		}
		repos := rec.OfType(repoType)
		var names []string
		for _, r := range repos {
			names = append(names, stacktest.Input(r, "name").(string))
			checks := map[string]any{
				"imageScanningConfiguration.scanOnPush":     true,
				"imageTagMutability":                        mutability[stack],
				"encryptionConfigurations.0.encryptionType": "KMS",
				"forceDelete":                               false,
			}
			for path, want := range checks {
				if got := stacktest.Input(r, path); got != want {
					t.Errorf("%s %s = %v, want %v", r.Name, path, got, want)
				}
			}
			if !slices.Contains(r.PropertyDependencies["encryptionConfigurations"], key.URN) {
				t.Errorf("%s is not encrypted with the registry key", r.Name)
			}
			if r.Protect != (stack == "prod") {
				t.Errorf("%s protect = %v in %s", r.Name, r.Protect, stack)
			}
		}
		sort.Strings(names)
		want := make([]string, len(images))
		for i, img := range images {
			want[i] = "acme-" + stack + "/" + img
		}
		if !slices.Equal(names, want) {
			t.Errorf("repositories %v, want %v", names, want)
		}
		if key.Protect != (stack == "prod") {
			t.Errorf("registry key protect = %v in %s", key.Protect, stack)
		}
	})
}

func TestLifecyclePolicyExpiresUntaggedAndKeepsTheLastTagged(t *testing.T) {
	t.Parallel()
	keep := map[string]float64{"dev": 10, "prod": 30}
	for _, stack := range stacktest.Stacks {
		rec := stacktest.Preview(t, stack)
		policies := rec.OfType(lifecycleType)
		if len(policies) != len(images) {
			t.Fatalf("%s: %d lifecycle policies for %d repositories", stack, len(policies), len(images))
		}
		for _, p := range policies {
			var doc struct {
				Rules []struct {
					Selection map[string]any `json:"selection"`
					Action    map[string]any `json:"action"`
				} `json:"rules"`
			}
			if err := json.Unmarshal([]byte(stacktest.Input(p, "policy").(string)), &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Rules) != 2 {
				t.Fatalf("%s: want 2 rules, got %d", p.Name, len(doc.Rules))
			}
			untagged, tagged := doc.Rules[0].Selection, doc.Rules[1].Selection
			if untagged["tagStatus"] != "untagged" || untagged["countNumber"] != 7.0 || untagged["countType"] != "sinceImagePushed" {
				t.Errorf("%s untagged rule %v", p.Name, untagged)
			}
			if tagged["tagStatus"] != "tagged" || tagged["countNumber"] != keep[stack] || tagged["countType"] != "imageCountMoreThan" {
				t.Errorf("%s tagged rule %v", p.Name, tagged)
			}
		}
	}
}

func TestPullPolicyGrantsExactlyWhatANodeNeeds(t *testing.T) {
	t.Parallel()
	rec := stacktest.Resolved(t, "prod")
	p := rec.Find(policyType, "registry-pull")
	if p == nil {
		t.Fatal("no pull policy")
	}
	var doc struct {
		Statement []struct {
			Effect   string
			Action   []string
			Resource []string
		}
	}
	if err := json.Unmarshal([]byte(stacktest.Input(p, "policy").(string)), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Statement) != 2 {
		t.Fatalf("want 2 statements, got %+v", doc.Statement)
	}
	token, pull := doc.Statement[0], doc.Statement[1]
	if !slices.Equal(token.Action, []string{"ecr:GetAuthorizationToken"}) || !slices.Equal(token.Resource, []string{"*"}) {
		t.Errorf("token statement %+v", token)
	}
	if !slices.Equal(pull.Action, registry.PullActions) {
		t.Errorf("pull actions %v, want %v", pull.Action, registry.PullActions)
	}
	if len(pull.Resource) != len(images) {
		t.Errorf("pull resources %v, want the %d repositories", pull.Resource, len(images))
	}
	for _, r := range pull.Resource {
		if strings.Contains(r, "*") || !strings.Contains(r, "registry-bpa-") {
			t.Errorf("pull resource %q is not one of the repositories", r)
		}
	}
}

func run(t *testing.T, args *registry.Args) (*harness.Recording, error) {
	t.Helper()
	return harness.Run(func(ctx *pulumi.Context) error {
		_, err := registry.New(ctx, "registry", args)
		return err
	}, harness.Options{Stack: "test"})
}

func validArgs() *registry.Args {
	return &registry.Args{NamePrefix: "acme-test", Region: "us-west-2", Images: []string{"bpa/core"},
		KeepTaggedImages: 5, UntaggedExpiryDays: 3}
}

func TestPullPolicyIsAttachedToTheNodeRole(t *testing.T) {
	t.Parallel()
	args := validArgs()
	args.NodeRoleName = pulumi.String("acme-test-nodes")
	rec, err := run(t, args)
	if err != nil {
		t.Fatal(err)
	}
	a := rec.Find(attachType, "registry-pull")
	if a == nil || stacktest.Input(a, "role") != "acme-test-nodes" {
		t.Fatal("pull policy not attached to the node role")
	}
	if !slices.Contains(a.PropertyDependencies["policyArn"], rec.Find(policyType, "registry-pull").URN) {
		t.Error("attachment does not attach the pull policy")
	}
}

func TestInvalidImagesRegisterNothing(t *testing.T) {
	t.Parallel()
	for name, images := range map[string][]string{"none": nil, "upper case": {"BPA/Core"}, "twice": {"a", "a"}} {
		args := validArgs()
		args.Images = images
		rec, err := run(t, args)
		if err == nil || !strings.Contains(err.Error(), "Images") {
			t.Errorf("%s: want an Images error, got %v", name, err)
		}
		if len(rec.Resources) != 0 {
			t.Errorf("%s: %d resources registered", name, len(rec.Resources))
		}
	}
}
