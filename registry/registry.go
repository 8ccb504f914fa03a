package registry

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/internal/component"

	"github.com/bpa-infra/bpa-infra/internal/iampolicy"
	"github.com/bpa-infra/bpa-infra/internal/kmskey"
)

// TypeToken is the component's type in URNs.
const TypeToken = "bpa:registry:Registry"

// ChartRepository is the ECR repository of the BPA chart, named after the
// chart of the release bundle (the guide's bpa-helm-chart).
const ChartRepository = "bpa-helm-chart"

// PullActions are what a node needs on a repository to pull from it.
var PullActions = []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}

// Args describe the registry; Stack.Protect keeps the repositories and
// their key.
type Args struct {
	component.Stack
	// Charts are Helm chart repositories below the prefix, named after the
	// chart (helm push <chart>-<version>.tgz oci://<registry>/<prefix>
	// pushes to <prefix>/<chart>), e.g. "bpa-helm-chart".
	Charts []string
	// NodeRoleName is the role the pull policy is attached to; nil attaches nothing.
	NodeRoleName pulumi.StringInput
	Settings
}

// Settings are what a stack decides about its registry; internal/config
// decodes them from the bpa:ecr* keys, whose defaults Pulumi.yaml holds.
type Settings struct {
	// Images are repository names below the prefix, e.g. "bpa/ui": every
	// image of the BPA release (bpa:ecrImages, ValidRepositoryName).
	Images []string
	// ImmutableTags refuses to overwrite a pushed tag (bpa:ecrImmutableTags).
	ImmutableTags bool
	// KeepTaggedImages is how many tagged images each repository keeps,
	// 1 to 1000 (bpa:ecrKeepTaggedImages).
	KeepTaggedImages int
	// UntaggedExpiryDays is how long untagged images live, at least 1 day
	// (bpa:ecrUntaggedExpiryDays).
	UntaggedExpiryDays int
}

// Registry is the set of repositories.
type Registry struct {
	pulumi.ResourceState

	// URL is the registry host, <account>.dkr.ecr.<region>.amazonaws.com.
	URL pulumi.StringOutput
	// RepositoryURLs maps each image and chart name to its repository URL.
	RepositoryURLs pulumi.StringMapOutput
	// ImageRegistry is where the chart pulls BPA's images from,
	// <registry>/<prefix>.
	ImageRegistry pulumi.StringOutput
	// ChartPushURL is where `helm push` sends the stack's charts,
	// oci://<registry>/<prefix>.
	ChartPushURL pulumi.StringOutput
	// ChartURL is the BPA chart's repository, oci://<registry>/<prefix>/bpa-helm-chart.
	ChartURL      pulumi.StringOutput
	PullPolicyArn pulumi.StringOutput
	// PullAccess is the pull policy's attachment to the node role: pods
	// cannot pull BPA's images before it exists.
	PullAccess pulumi.Resource
	// Ready is what a workload pulling BPA's images waits for: PullAccess,
	// when there is one.
	Ready []pulumi.Resource
}

// repositoryPattern is ECR's rule for repository names: lower-case
// letters and digits, separated by . _ - within a path segment and / between
// segments.
var repositoryPattern = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$`)

// ValidRepositoryName reports whether ECR accepts name below the prefix.
func ValidRepositoryName(name string) bool { return repositoryPattern.MatchString(name) }

// Check reports every problem of the arguments.
func (a *Args) Check() error {
	if a == nil {
		return component.ErrNoArgs
	}
	errs := []error{a.Stack.Check()}
	if len(a.Images) == 0 {
		errs = append(errs, errors.New("at least one image is required (Images)"))
	}
	seen := map[string]bool{}
	for _, list := range []struct {
		field string
		names []string
	}{{"Images", a.Images}, {"Charts", a.Charts}} {
		for _, n := range list.names {
			if !ValidRepositoryName(n) {
				errs = append(errs, fmt.Errorf("%s: %q is not a valid repository name", list.field, n))
			}
			if seen[n] {
				errs = append(errs, fmt.Errorf("%s: %q is listed twice", list.field, n))
			}
			seen[n] = true
		}
	}
	if a.KeepTaggedImages < 1 || a.UntaggedExpiryDays < 1 {
		errs = append(errs, errors.New("KeepTaggedImages and UntaggedExpiryDays must be at least 1"))
	}
	return errors.Join(errs...)
}

// New creates the repositories, their key and the pull policy.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Registry, error) {
	reg := &Registry{}
	b := &builder{ctx: ctx, name: name, args: args, reg: reg, parent: pulumi.Parent(reg)}
	if err := component.Build(ctx, TypeToken, name, reg, args, opts, b.key, b.repositories, b.pullPolicy); err != nil {
		return nil, err
	}
	reg.URL = pulumi.Sprintf("%s.dkr.ecr.%s.amazonaws.com", args.Account, args.Region)
	reg.ImageRegistry = pulumi.Sprintf("%s/%s", reg.URL, args.NamePrefix)
	reg.RepositoryURLs = b.urls.ToStringMapOutput()
	reg.ChartPushURL = pulumi.Sprintf("oci://%s", reg.ImageRegistry)
	reg.ChartURL = pulumi.Sprintf("%s/%s", reg.ChartPushURL, ChartRepository)
	return reg, ctx.RegisterResourceOutputs(reg, pulumi.Map{
		"url":            reg.URL,
		"repositoryUrls": reg.RepositoryURLs,
		"chartPushUrl":   reg.ChartPushURL,
		"pullPolicyArn":  reg.PullPolicyArn,
	})
}

// builder carries what the steps of New share.
type builder struct {
	ctx    *pulumi.Context
	name   string
	args   *Args
	reg    *Registry
	parent pulumi.ResourceOrInvokeOption

	keyArn pulumi.StringOutput
	urls   pulumi.StringMap
	// imageArns are the image repositories nodes pull from (not the charts').
	imageArns pulumi.StringArray
}

func (b *builder) key() error {
	key, err := kmskey.New(b.ctx, b.name+"-key", kmskey.Args{
		Description: b.args.NamePrefix + " ECR image encryption",
		Alias:       b.args.NamePrefix + "-ecr",
		Tags:        pulumi.StringMap{"Name": pulumi.String(b.args.NamePrefix + "-ecr")},
		Region:      b.args.Region,
		Account:     b.args.Account,
		Protect:     b.args.Protect,
	}, b.parent)
	if err != nil {
		return err
	}
	b.keyArn = key.Arn
	return nil
}

func (b *builder) repositories() error {
	mutability := "MUTABLE"
	if b.args.ImmutableTags {
		mutability = "IMMUTABLE"
	}
	lifecycle, err := lifecyclePolicy(b.args.UntaggedExpiryDays, b.args.KeepTaggedImages)
	if err != nil {
		return err
	}
	b.urls = pulumi.StringMap{}
	for _, img := range slices.Concat(b.args.Images, b.args.Charts) {
		label := strings.NewReplacer("/", "-", ".", "-", "_", "-").Replace(img)
		repo, err := ecr.NewRepository(b.ctx, b.name+"-"+label, &ecr.RepositoryArgs{
			Name:               pulumi.String(b.args.NamePrefix + "/" + img),
			ImageTagMutability: pulumi.String(mutability),
			ImageScanningConfiguration: &ecr.RepositoryImageScanningConfigurationArgs{
				ScanOnPush: pulumi.Bool(true),
			},
			EncryptionConfigurations: ecr.RepositoryEncryptionConfigurationArray{&ecr.RepositoryEncryptionConfigurationArgs{
				EncryptionType: pulumi.String("KMS"),
				KmsKey:         b.keyArn,
			}},
			ForceDelete: pulumi.Bool(false),
			Tags:        pulumi.StringMap{"Name": pulumi.String(b.args.NamePrefix + "/" + img)},
		}, b.parent, pulumi.Protect(b.args.Protect))
		if err != nil {
			return fmt.Errorf("create repository %s: %w", img, err)
		}
		if _, err := ecr.NewLifecyclePolicy(b.ctx, b.name+"-"+label, &ecr.LifecyclePolicyArgs{
			Repository: repo.Name,
			Policy:     pulumi.String(lifecycle),
		}, b.parent); err != nil {
			return fmt.Errorf("lifecycle policy for %s: %w", img, err)
		}
		b.urls[img] = repo.RepositoryUrl
		if slices.Contains(b.args.Images, img) {
			b.imageArns = append(b.imageArns, repo.Arn)
		}
	}
	return nil
}

func (b *builder) pullPolicy() error {
	policy, err := iam.NewPolicy(b.ctx, b.name+"-pull", &iam.PolicyArgs{
		Description: pulumi.String("Pull BPA images from " + b.args.NamePrefix + "'s ECR repositories"),
		Policy: iampolicy.Document(
			// GetAuthorizationToken is account-wide: AWS accepts no other resource.
			iampolicy.Statement{Sid: "GetRegistryToken", Actions: []string{"ecr:GetAuthorizationToken"}, Resources: iampolicy.Strings("*")},
			iampolicy.Statement{Sid: "PullBpaImages", Actions: PullActions, Resources: b.imageArns},
		),
		Tags: pulumi.StringMap{"Name": pulumi.String(b.args.NamePrefix + "-ecr-pull")},
	}, b.parent)
	if err != nil {
		return fmt.Errorf("create pull policy: %w", err)
	}
	b.reg.PullPolicyArn = policy.Arn
	if b.args.NodeRoleName == nil {
		return nil
	}
	attachment, err := iam.NewRolePolicyAttachment(b.ctx, b.name+"-pull", &iam.RolePolicyAttachmentArgs{
		Role:      b.args.NodeRoleName,
		PolicyArn: policy.Arn,
	}, b.parent)
	if err != nil {
		return fmt.Errorf("attach pull policy: %w", err)
	}
	b.reg.PullAccess = attachment
	b.reg.Ready = []pulumi.Resource{attachment}
	return nil
}
