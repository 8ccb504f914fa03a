package registry_test

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/internal/cloudfake"
	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
	"github.com/bpa-infra/bpa-infra/registry"
)

const (
	repoType      = "aws:ecr/repository:Repository"
	lifecycleType = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
	policyType    = "aws:iam/policy:Policy"
	attachType    = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	releaseType   = "kubernetes:helm.sh/v3:Release"
)

// The per-stack expectations of these tests come from each stack's
// settings as the CLI hands them to the program (stacktest.Setting), never
// from the stack's name, so a stack a platform engineer adds is checked
// against its own file.

// repositories are what a stack's registry holds, below its name prefix:
// one repository per image of bpa:ecrImages and one for the BPA chart.
func repositories(t *testing.T, stack string) (images, all []string) {
	t.Helper()
	prefix := stacktest.NamePrefix(t, stack)
	configured := stacktest.SettingList(t, stack, "bpa:ecrImages")
	if len(configured) == 0 {
		t.Fatalf("%s configures no images", stack)
	}
	for _, img := range configured {
		images = append(images, prefix+"/"+img)
	}
	all = append(slices.Clone(images), prefix+"/"+registry.ChartRepository)
	sort.Strings(images)
	sort.Strings(all)
	return images, all
}

// repoName is a repository resource's name input, <prefix>/<image>.
func repoName(r *harness.Resource) string {
	name, _ := stacktest.Input(r, "name").(string)
	return name
}

// Every image and the chart get a repository of the same hardening.
func TestOneHardenedRepositoryPerImageAndChart(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		mutability := "MUTABLE"
		if stacktest.SettingBool(t, stack, "bpa:ecrImmutableTags") {
			mutability = "IMMUTABLE"
		}
		protect := stacktest.Protected(t, stack)
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
				"imageTagMutability":                        mutability,
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
			if r.Protect != protect {
				t.Errorf("%s protect = %v, want bpa:protect's %v", r.Name, r.Protect, protect)
			}
		}
		sort.Strings(names)
		_, want := repositories(t, stack)
		if !slices.Contains(want, stacktest.NamePrefix(t, stack)+"/bpa-helm-chart") {
			t.Fatalf("the chart repository is not among %v", want)
		}
		if !slices.Equal(names, want) {
			t.Errorf("repositories %v, want %v", names, want)
		}
		if key.Protect != protect {
			t.Errorf("registry key protect = %v, want bpa:protect's %v", key.Protect, protect)
		}
	})
}

func TestLifecyclePolicyExpiresUntaggedAndKeepsTheLastTagged(t *testing.T) {
	t.Parallel()
	for _, stack := range stacktest.EveryStack(t) {
		rec := stacktest.Preview(t, stack)
		keep := float64(stacktest.SettingInt(t, stack, "bpa:ecrKeepTaggedImages"))
		expiry := float64(stacktest.SettingInt(t, stack, "bpa:ecrUntaggedExpiryDays"))
		policies := rec.OfType(lifecycleType)
		repos := rec.OfType(repoType)
		if len(policies) != len(repos) {
			t.Fatalf("%s: %d lifecycle policies for %d repositories", stack, len(policies), len(repos))
		}
		covered := map[string]bool{}
		for _, p := range policies {
			for _, u := range p.PropertyDependencies["repository"] {
				if r := rec.ByURN(u); r != nil && r.Type == repoType {
					covered[repoName(r)] = true
				}
			}
		}
		for _, r := range repos {
			if !covered[repoName(r)] {
				t.Errorf("%s: repository %s has no lifecycle policy", stack, repoName(r))
			}
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
			if untagged["tagStatus"] != "untagged" || untagged["countNumber"] != expiry || untagged["countType"] != "sinceImagePushed" {
				t.Errorf("%s: %s untagged rule %v, want expiry after bpa:ecrUntaggedExpiryDays %v", stack, p.Name, untagged, expiry)
			}
			if tagged["tagStatus"] != "tagged" || tagged["countNumber"] != keep || tagged["countType"] != "imageCountMoreThan" {
				t.Errorf("%s: %s tagged rule %v, want the last bpa:ecrKeepTaggedImages %v kept", stack, p.Name, tagged, keep)
			}
		}
	}
}

// The nodes pull images, never charts (Helm fetches the chart from where
// `pulumi up` runs): the pull policy names exactly the image repositories.
func TestPullPolicyGrantsExactlyWhatANodeNeeds(t *testing.T) {
	t.Parallel()
	stacktest.ForEachResolvedStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
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
		images, _ := repositories(t, stack)
		var want, chart []string
		for _, r := range rec.OfType(repoType) {
			arn := cloudfake.Outputs(r.Type, r.Name, r.Inputs)["arn"].StringValue()
			if slices.Contains(images, repoName(r)) {
				want = append(want, arn)
			} else {
				chart = append(chart, arn)
			}
		}
		got := slices.Clone(pull.Resource)
		sort.Strings(got)
		sort.Strings(want)
		if len(want) != len(images) || !slices.Equal(got, want) {
			t.Errorf("pull resources %v, want the %d image repositories %v", got, len(images), want)
		}
		if len(chart) != 1 {
			t.Errorf("%d chart repositories, want 1", len(chart))
		}
		for _, c := range chart {
			if slices.Contains(pull.Resource, c) {
				t.Errorf("the pull policy grants the chart repository %s", c)
			}
		}
	})
}

// probe is a resource that only records what it is given.
type probe struct{ pulumi.CustomResourceState }

// runProbed runs the registry with resolved outputs and registers a probe
// that takes its ChartPushURL and URL as inputs and waits for its
// PullAccess, so that both can be read from the recording.
func runProbed(t *testing.T, args *registry.Args) (*harness.Recording, *registry.Registry) {
	t.Helper()
	var reg *registry.Registry
	rec, err := harness.Run(func(ctx *pulumi.Context) error {
		var err error
		if reg, err = registry.New(ctx, "registry", args); err != nil {
			return err
		}
		var opts []pulumi.ResourceOption
		if reg.PullAccess != nil {
			opts = append(opts, pulumi.DependsOn([]pulumi.Resource{reg.PullAccess}))
		}
		return ctx.RegisterResource("test:index:Probe", "probe", pulumi.Map{
			"chartPushUrl": reg.ChartPushURL, "url": reg.URL, "repositoryUrls": reg.RepositoryURLs,
		}, &probe{}, opts...)
	}, harness.Options{Stack: "test", Resolve: true})
	if err != nil {
		t.Fatal(err)
	}
	return rec, reg
}

// Charts are repositories below the prefix like the images, pushed to
// with helm push <chart>.tgz oci://<registry>/<prefix>; the pull policy
// leaves them out.
func TestChartsGetRepositoriesButNoPullAccess(t *testing.T) {
	t.Parallel()
	args := validArgs()
	args.Charts = []string{"bpa-helm-chart"}
	args.NodeRoleName = pulumi.String("acme-test-nodes")
	rec, _ := runProbed(t, args)

	var names []string
	for _, r := range rec.OfType(repoType) {
		names = append(names, repoName(r))
	}
	sort.Strings(names)
	if want := []string{"unit-test/bpa-helm-chart", "unit-test/bpa/core"}; !slices.Equal(names, want) {
		t.Errorf("repositories %v, want %v", names, want)
	}
	if n := len(rec.OfType(lifecycleType)); n != 2 {
		t.Errorf("%d lifecycle policies, want one per repository", n)
	}

	p := stacktest.Input(rec.Find(policyType, "registry-pull"), "policy").(string)
	if !strings.Contains(p, "Repository/registry-bpa-core") || strings.Contains(p, "helm-chart") {
		t.Errorf("pull policy %s, want the image repository only", p)
	}

	pr := rec.Find("test:index:Probe", "probe")
	registryHost := cloudfake.AccountID + ".dkr.ecr.us-west-2.amazonaws.com"
	if got, want := stacktest.Input(pr, "url"), registryHost; got != want {
		t.Errorf("URL %v, want %s", got, want)
	}
	if got, want := stacktest.Input(pr, "chartPushUrl"), "oci://"+registryHost+"/unit-test"; got != want {
		t.Errorf("ChartPushURL %v, want %s", got, want)
	}
	if got, want := stacktest.Input(pr, "repositoryUrls.bpa-helm-chart"), registryHost+"/unit-test/bpa-helm-chart"; got != want {
		t.Errorf("chart repository URL %v, want %s", got, want)
	}
}

// The stack's release pulls the chart from the chart repository: the push
// URL and the chart's name give the repository's URL.
func TestTheReleaseChartIsTheChartRepository(t *testing.T) {
	t.Parallel()
	stacktest.ForEachResolvedStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		if stacktest.Setting(t, stack, "bpa:chart") != "" {
			t.Skipf("%s names its own chart", stack)
		}
		if !stacktest.SettingBool(t, stack, "bpa:installRelease") {
			t.Skipf("%s installs no release yet (bpa:installRelease false)", stack)
		}
		var chartRepo *harness.Resource
		for _, r := range rec.OfType(repoType) {
			if strings.HasSuffix(repoName(r), "/"+registry.ChartRepository) {
				chartRepo = r
			}
		}
		if chartRepo == nil {
			t.Fatal("no chart repository")
		}
		url := cloudfake.Outputs(chartRepo.Type, chartRepo.Name, chartRepo.Inputs)["repositoryUrl"].StringValue()
		release := rec.OfType(releaseType)
		if len(release) != 1 {
			t.Fatalf("%d releases", len(release))
		}
		if got := stacktest.Input(release[0], "chart"); got != "oci://"+url {
			t.Errorf("release chart %v, want oci://%s", got, url)
		}
	})
}

func run(args *registry.Args) (*harness.Recording, error) {
	return harness.Run(func(ctx *pulumi.Context) error {
		_, err := registry.New(ctx, "registry", args)
		return err
	}, harness.Options{Stack: "test"})
}

func validArgs() *registry.Args {
	return &registry.Args{Stack: stacktest.UnitStack(),
		Settings: registry.Settings{Images: []string{"bpa/core"}, KeepTaggedImages: 5, UntaggedExpiryDays: 3}}
}

func TestPullPolicyIsAttachedToTheNodeRole(t *testing.T) {
	t.Parallel()
	args := validArgs()
	args.NodeRoleName = pulumi.String("acme-test-nodes")
	rec, err := run(args)
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

// PullAccess is the attachment: whatever pulls BPA's images can wait for it.
func TestPullAccessIsTheAttachment(t *testing.T) {
	t.Parallel()
	args := validArgs()
	args.NodeRoleName = pulumi.String("acme-test-nodes")
	rec, reg := runProbed(t, args)
	if _, ok := reg.PullAccess.(*iam.RolePolicyAttachment); !ok {
		t.Fatalf("PullAccess is %T, want the role policy attachment", reg.PullAccess)
	}
	a := rec.Find(attachType, "registry-pull")
	if pr := rec.Find("test:index:Probe", "probe"); a == nil || !slices.Contains(pr.Dependencies, a.URN) {
		t.Errorf("waiting for PullAccess does not wait for the attachment: %v", pr.Dependencies)
	}

	// Without a node role nothing is attached, and there is nothing to
	// wait for.
	rec, reg = runProbed(t, validArgs())
	if reg.PullAccess != nil || len(rec.OfType(attachType)) != 0 {
		t.Errorf("no node role, yet PullAccess %v and %d attachments", reg.PullAccess, len(rec.OfType(attachType)))
	}
}

// The component's own checks, which config.Load's stricter ones shadow in
// the program: every problem at once, nothing registered.
func TestComponentArgsAreCheckedBeforeAnythingIsRegistered(t *testing.T) {
	t.Parallel()
	lists := func(images, charts []string) func(*registry.Args) {
		return func(a *registry.Args) { a.Images, a.Charts = images, charts }
	}
	type change = stacktest.Refusal[*registry.Args]
	stacktest.ExpectRefused(t, validArgs, run, map[string]change{
		"nil args":              {Says: []string{"args are required"}},
		"no image":              {Change: lists(nil, nil), Says: []string{"at least one image is required (Images)"}},
		"no image, only charts": {Change: lists(nil, []string{"bpa-helm-chart"}), Says: []string{"(Images)"}},
		"upper case image":      {Change: lists([]string{"BPA/Core"}, nil), Says: []string{`Images: "BPA/Core" is not a valid repository name`}},
		"image twice":           {Change: lists([]string{"a", "a"}, nil), Says: []string{`Images: "a" is listed twice`}},
		"upper case chart":      {Change: lists([]string{"bpa/core"}, []string{"BPA-Chart"}), Says: []string{`"BPA-Chart" is not a valid repository name`}},
		"chart twice":           {Change: lists([]string{"bpa/core"}, []string{"c", "c"}), Says: []string{`"c" is listed twice`}},
		"chart also an image":   {Change: lists([]string{"bpa/core", "bpa-helm-chart"}, []string{"bpa-helm-chart"}), Says: []string{`"bpa-helm-chart" is listed twice`}},
		"no lifecycle":          {Change: func(a *registry.Args) { a.KeepTaggedImages, a.UntaggedExpiryDays = 0, 0 }, Says: []string{"KeepTaggedImages and UntaggedExpiryDays must be at least 1"}},
	})
}
