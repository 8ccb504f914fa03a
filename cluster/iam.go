package cluster

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/internal/iampolicy"
)

// NodeManagedPolicies are the AWS policies every node needs: joining the
// cluster, the VPC CNI's ENI management, and Session Manager instead of SSH.
var NodeManagedPolicies = []string{"AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonSSMManagedInstanceCore"}

// eksImageAccounts are the accounts of AWS's regional registries for EKS
// add-on images (VPC CNI, kube-proxy, CoreDNS, EBS CSI, pause) where they are
// not the common 602401143452 ("Amazon container image registries" in the
// EKS user guide).
var eksImageAccounts = map[string]string{
	"af-south-1": "877085696533", "ap-east-1": "800184023465", "ap-south-2": "900889452093",
	"ap-southeast-3": "296578399912", "ap-southeast-4": "491585149902", "ap-southeast-5": "151610086707",
	"ap-southeast-7": "121268973566", "ca-west-1": "761377655185", "eu-central-2": "900612956339",
	"eu-south-1": "590381155156", "eu-south-2": "455263428931", "il-central-1": "066635153087",
	"me-central-1": "759879836304", "me-south-1": "558608220178", "mx-central-1": "730335286997",
	"cn-north-1": "918309763551", "cn-northwest-1": "961992271922",
	"us-gov-east-1": "151742754352", "us-gov-west-1": "013241004608",
}

func (b *builder) policyArn(name string) string {
	return "arn:" + iampolicy.Partition(b.args.Region) + ":iam::aws:policy/" + name
}

// nodeRole is the role of every node. Image pulls are split: AWS's add-on
// images from its regional registry here, BPA's images through the
// registry's policy scoped to the project's repositories.
func (b *builder) nodeIAM() error {
	var err error
	b.nodeRole, err = iam.NewRole(b.ctx, b.name+"-nodes", &iam.RoleArgs{
		Description:      pulumi.String("EKS nodes of " + b.args.NamePrefix),
		AssumeRolePolicy: iampolicy.AssumeRole("ec2.amazonaws.com"),
		Tags:             b.tags("nodes"),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("create node role: %w", err)
	}
	for _, p := range NodeManagedPolicies {
		a, err := iam.NewRolePolicyAttachment(b.ctx, b.name+"-nodes-"+p, &iam.RolePolicyAttachmentArgs{
			Role:      b.nodeRole.Name,
			PolicyArn: pulumi.String(b.policyArn(p)),
		}, b.parent)
		if err != nil {
			return fmt.Errorf("attach %s to node role: %w", p, err)
		}
		b.nodeRoleReady = append(b.nodeRoleReady, a)
	}
	account, ok := eksImageAccounts[b.args.Region]
	if !ok {
		account = "602401143452"
	}
	pull, err := iam.NewRolePolicy(b.ctx, b.name+"-nodes-eks-images", &iam.RolePolicyArgs{
		Role: b.nodeRole.ID(),
		Policy: iampolicy.Document(
			iampolicy.Statement{
				Sid:       "RegistryLogin",
				Actions:   []string{"ecr:GetAuthorizationToken"},
				Resources: iampolicy.Strings("*"), // the action takes no resource
			},
			iampolicy.Statement{
				Sid:       "PullEksAddonImages",
				Actions:   []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"},
				Resources: iampolicy.Strings(fmt.Sprintf("arn:%s:ecr:%s:%s:repository/*", iampolicy.Partition(b.args.Region), b.args.Region, account)),
			},
		),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("create node image pull policy: %w", err)
	}
	b.nodeRoleReady = append(b.nodeRoleReady, pull)
	if b.args.EcrPullPolicyArn != nil {
		a, err := iam.NewRolePolicyAttachment(b.ctx, b.name+"-nodes-ecr-pull", &iam.RolePolicyAttachmentArgs{
			Role:      b.nodeRole.Name,
			PolicyArn: b.args.EcrPullPolicyArn,
		}, b.parent)
		if err != nil {
			return fmt.Errorf("attach registry pull policy to node role: %w", err)
		}
		b.nodeRoleReady = append(b.nodeRoleReady, a)
	}
	return nil
}

// irsaTrust lets one Kubernetes service account assume a role through the
// cluster's OIDC provider.
func irsaTrust(providerArn, providerUrl pulumi.StringOutput, namespace, serviceAccount string) pulumi.StringOutput {
	return pulumi.All(providerArn, providerUrl).ApplyT(func(v []any) (string, error) {
		// The condition keys name the issuer without its scheme.
		issuer := strings.TrimPrefix(v[1].(string), "https://")
		doc := map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{map[string]any{
				"Effect":    "Allow",
				"Principal": map[string]any{"Federated": v[0].(string)},
				"Action":    "sts:AssumeRoleWithWebIdentity",
				"Condition": map[string]any{"StringEquals": map[string]any{
					issuer + ":sub": "system:serviceaccount:" + namespace + ":" + serviceAccount,
					issuer + ":aud": "sts.amazonaws.com",
				}},
			}},
		}
		out, err := json.Marshal(doc)
		return string(out), err
	}).(pulumi.StringOutput)
}
