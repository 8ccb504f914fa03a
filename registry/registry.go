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

// Args describe the registry.
type Args struct {
	NamePrefix string
	Region     string
	// Account is the AWS account id the stack deploys to (key policies and
	// ARNs name it), looked up once by the program.
	Account pulumi.StringOutput
	// Images are repository names below the prefix, e.g. "bpa/ui".
	Images []string
	// Charts are Helm chart repositories below the prefix, named after the
	// chart (helm push <chart>-<version>.tgz oci://<registry>/<prefix>
	// pushes to <prefix>/<chart>), e.g. "bpa-helm-chart".
	Charts []string
	// ImmutableTags refuses to overwrite a pushed tag.
	ImmutableTags bool
	// KeepTaggedImages is how many tagged images each repository keeps.
	KeepTaggedImages int
	// UntaggedExpiryDays is how long untagged images live.
	UntaggedExpiryDays int
	// NodeRoleName is the role the pull policy is attached to; nil attaches nothing.
	NodeRoleName pulumi.StringInput
	Protect      bool
}

// Registry is the set of repositories.
type Registry struct {
	pulumi.ResourceState

	// URL is the registry host, <account>.dkr.ecr.<region>.amazonaws.com.
	URL pulumi.StringOutput
	// RepositoryURLs maps each image and chart name to its repository URL.
	RepositoryURLs pulumi.StringMapOutput
	// ChartPushURL is where `helm push` sends the stack's charts,
	// oci://<registry>/<prefix>.
	ChartPushURL  pulumi.StringOutput
	PullPolicyArn pulumi.StringOutput
	// PullAccess is the pull policy's attachment to the node role: pods
	// cannot pull BPA's images before it exists.
	PullAccess pulumi.Resource
}

var imagePattern = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$`)

func (a *Args) validate() error {
	var errs []error
	if a.Account.OutputState == nil {
		errs = append(errs, errors.New("the Account id is required"))
	}
	if a.NamePrefix == "" || a.Region == "" {
		errs = append(errs, errors.New("NamePrefix and Region are required"))
	}
	if len(a.Images) == 0 {
		errs = append(errs, errors.New("at least one image is required (Images)"))
	}
	seen := map[string]bool{}
	for _, list := range []struct {
		field string
		names []string
	}{{"Images", a.Images}, {"Charts", a.Charts}} {
		for _, n := range list.names {
			if !imagePattern.MatchString(n) {
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
	if args == nil {
		return nil, errors.New("registry: args are required")
	}
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("registry: invalid args: %w", err)
	}
	reg := &Registry{}
	if err := ctx.RegisterComponentResource(TypeToken, name, reg, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(reg)
	protect := pulumi.Protect(args.Protect)
	account := args.Account

	key, err := kmskey.New(ctx, name+"-key", kmskey.Args{
		Description: args.NamePrefix + " ECR image encryption",
		Alias:       args.NamePrefix + "-ecr",
		Tags:        pulumi.StringMap{"Name": pulumi.String(args.NamePrefix + "-ecr")},
		Region:      args.Region,
		Account:     account,
		Protect:     args.Protect,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", name, err)
	}

	mutability := "MUTABLE"
	if args.ImmutableTags {
		mutability = "IMMUTABLE"
	}
	lifecycle, err := lifecyclePolicy(args.UntaggedExpiryDays, args.KeepTaggedImages)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", name, err)
	}
	urls := pulumi.StringMap{}
	arns := pulumi.StringArray{}
	for _, img := range append(append([]string{}, args.Images...), args.Charts...) {
		label := strings.NewReplacer("/", "-", ".", "-", "_", "-").Replace(img)
		repo, err := ecr.NewRepository(ctx, name+"-"+label, &ecr.RepositoryArgs{
			Name:               pulumi.String(args.NamePrefix + "/" + img),
			ImageTagMutability: pulumi.String(mutability),
			ImageScanningConfiguration: &ecr.RepositoryImageScanningConfigurationArgs{
				ScanOnPush: pulumi.Bool(true),
			},
			EncryptionConfigurations: ecr.RepositoryEncryptionConfigurationArray{&ecr.RepositoryEncryptionConfigurationArgs{
				EncryptionType: pulumi.String("KMS"),
				KmsKey:         key.Arn,
			}},
			ForceDelete: pulumi.Bool(false),
			Tags:        pulumi.StringMap{"Name": pulumi.String(args.NamePrefix + "/" + img)},
		}, parent, protect)
		if err != nil {
			return nil, fmt.Errorf("registry %s: create repository %s: %w", name, img, err)
		}
		if _, err := ecr.NewLifecyclePolicy(ctx, name+"-"+label, &ecr.LifecyclePolicyArgs{
			Repository: repo.Name,
			Policy:     pulumi.String(lifecycle),
		}, parent); err != nil {
			return nil, fmt.Errorf("registry %s: lifecycle policy for %s: %w", name, img, err)
		}
		urls[img] = repo.RepositoryUrl
		if slices.Contains(args.Images, img) {
			arns = append(arns, repo.Arn)
		}
	}

	policy, err := iam.NewPolicy(ctx, name+"-pull", &iam.PolicyArgs{
		Description: pulumi.String("Pull BPA images from " + args.NamePrefix + "'s ECR repositories"),
		Policy: iampolicy.Document(
			// GetAuthorizationToken is account-wide: AWS accepts no other resource.
			iampolicy.Statement{Sid: "GetRegistryToken", Actions: []string{"ecr:GetAuthorizationToken"}, Resources: iampolicy.Strings("*")},
			iampolicy.Statement{Sid: "PullBpaImages", Actions: PullActions, Resources: arns},
		),
		Tags: pulumi.StringMap{"Name": pulumi.String(args.NamePrefix + "-ecr-pull")},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("registry %s: create pull policy: %w", name, err)
	}
	if args.NodeRoleName != nil {
		if reg.PullAccess, err = iam.NewRolePolicyAttachment(ctx, name+"-pull", &iam.RolePolicyAttachmentArgs{
			Role:      args.NodeRoleName,
			PolicyArn: policy.Arn,
		}, parent); err != nil {
			return nil, fmt.Errorf("registry %s: attach pull policy: %w", name, err)
		}
	}

	reg.URL = pulumi.Sprintf("%s.dkr.ecr.%s.amazonaws.com", account, args.Region)
	reg.RepositoryURLs = urls.ToStringMapOutput()
	reg.ChartPushURL = pulumi.Sprintf("oci://%s/%s", reg.URL, args.NamePrefix)
	reg.PullPolicyArn = policy.Arn
	return reg, ctx.RegisterResourceOutputs(reg, pulumi.Map{
		"url":            reg.URL,
		"repositoryUrls": reg.RepositoryURLs,
		"chartPushUrl":   reg.ChartPushURL,
		"pullPolicyArn":  reg.PullPolicyArn,
	})
}
