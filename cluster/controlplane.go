package cluster

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/internal/iampolicy"
	"github.com/bpa-infra/bpa-infra/internal/kmskey"
)

// ControlPlaneLogTypes are all the log types EKS can send to CloudWatch.
var ControlPlaneLogTypes = []string{"api", "audit", "authenticator", "controllerManager", "scheduler"}

// ClusterAdminPolicy is the EKS access policy admin roles are given.
const ClusterAdminPolicy = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"

// ClusterViewPolicy is the EKS access policy view roles are given.
const ClusterViewPolicy = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy"

// controlPlane creates the secrets key, the control plane's role and log
// group, the EKS cluster itself and a Kubernetes provider for it.
func (b *builder) controlPlane() error {
	// The control plane's role gets use of the key through its IAM policy.
	key, err := kmskey.New(b.ctx, b.name+"-secrets-key", kmskey.Args{
		Description: b.args.NamePrefix + " EKS secrets envelope encryption",
		Alias:       b.args.NamePrefix + "-eks-secrets",
		Tags:        b.tags("eks-secrets"),
		Region:      b.args.Region,
		Account:     b.args.Account,
		Protect:     b.args.Protect,
	}, b.parent)
	if err != nil {
		return err
	}

	role, err := iam.NewRole(b.ctx, b.name+"-control-plane", &iam.RoleArgs{
		Description:      pulumi.String("EKS control plane of " + b.args.NamePrefix),
		AssumeRolePolicy: iampolicy.AssumeRole("eks.amazonaws.com"),
		Tags:             b.tags("control-plane"),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("create control plane role: %w", err)
	}
	clusterPolicy, err := iam.NewRolePolicyAttachment(b.ctx, b.name+"-control-plane-AmazonEKSClusterPolicy", &iam.RolePolicyAttachmentArgs{
		Role:      role.Name,
		PolicyArn: pulumi.String(b.policyArn("AmazonEKSClusterPolicy")),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("attach cluster policy: %w", err)
	}
	keyUse, err := iam.NewRolePolicy(b.ctx, b.name+"-control-plane-secrets-key", &iam.RolePolicyArgs{
		Role: role.ID(),
		Policy: iampolicy.Document(iampolicy.Statement{
			Sid:       "EnvelopeEncryption",
			Actions:   []string{"kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:ListGrants", "kms:CreateGrant"},
			Resources: pulumi.StringArray{key.Arn},
		}),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("grant control plane use of the secrets key: %w", err)
	}

	logGroup, err := cloudwatch.NewLogGroup(b.ctx, b.name+"-control-plane-logs", &cloudwatch.LogGroupArgs{
		// The name EKS writes to; created here first so that it is encrypted
		// and expires.
		Name:            pulumi.String("/aws/eks/" + b.args.NamePrefix + "/cluster"),
		RetentionInDays: pulumi.Int(b.args.LogRetentionDays),
		KmsKeyId:        b.args.LogsKeyArn,
		Tags:            b.tags("eks-control-plane-logs"),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("create control plane log group: %w", err)
	}

	entries := map[string]eks.AccessEntryArgs{}
	for _, group := range []struct {
		label, policy string
		arns          []string
	}{{"admin", ClusterAdminPolicy, b.args.AdminRoleArns}, {"view", ClusterViewPolicy, b.args.ViewRoleArns}} {
		for i, arn := range group.arns {
			entries[fmt.Sprintf("%s-%d", group.label, i)] = eks.AccessEntryArgs{
				PrincipalArn: pulumi.String(arn),
				AccessPolicies: map[string]eks.AccessPolicyAssociationInput{
					"cluster-" + group.label: eks.AccessPolicyAssociationArgs{
						PolicyArn:   pulumi.String(group.policy),
						AccessScope: awseks.AccessPolicyAssociationAccessScopeArgs{Type: pulumi.String("cluster")},
					},
				},
			}
		}
	}

	// A documented exception to Checkov CKV2_AWS_5 and CKV_AWS_382 (policy
	// rule eks-node-security-group): pulumi-eks v2.8.1 creates its own node
	// security group (${name}-nodeSecurityGroup) with an all-traffic egress
	// rule to 0.0.0.0/0 inside this component, whatever its arguments
	// (nodejs/eks/cluster.ts:1919-1936, securitygroup.ts:101-188). Nothing
	// uses it: the node groups launch with the program's own node group
	// and the EKS cluster security group (nodegroups.go). The option that
	// skips it, skipDefaultSecurityGroups, arrives with pulumi-eks v3.0.0,
	// and the package version is fixed at v2; set it when moving to v3, and
	// the rule passes.
	apiAuth := eks.AuthenticationModeApi
	b.eks, err = eks.NewCluster(b.ctx, b.name+"-eks", &eks.ClusterArgs{
		Name:                   pulumi.String(b.args.NamePrefix),
		Version:                pulumi.String(b.args.KubernetesVersion),
		VpcId:                  b.args.VpcId,
		PrivateSubnetIds:       b.args.PrivateSubnetIds,
		ClusterSecurityGroup:   b.controlPlaneSG,
		ServiceRole:            role,
		EndpointPrivateAccess:  pulumi.Bool(true),
		EndpointPublicAccess:   pulumi.Bool(len(b.args.PublicAccessCidrs) > 0),
		PublicAccessCidrs:      pulumi.ToStringArray(b.args.PublicAccessCidrs),
		EnabledClusterLogTypes: pulumi.ToStringArray(ControlPlaneLogTypes),
		EncryptionConfigKeyArn: key.Arn,
		CreateOidcProvider:     pulumi.Bool(true),
		AuthenticationMode:     &apiAuth,
		AccessEntries:          entries,
		SkipDefaultNodeGroup:   pulumi.BoolRef(true),
		// An empty list, not none: otherwise pulumi-eks v2.8.1 makes an
		// instance role and an EC2_LINUX access entry for a default node
		// group there is none of (nodejs/eks/cluster.ts:753-864). The
		// managed node groups' role gets its access entry from EKS.
		InstanceRoles: iam.RoleArray{},
		// The vpc-cni add-on is managed here (networking.go) instead of
		// pulumi-eks's kubectl-applied manifest.
		UseDefaultVpcCni:             pulumi.BoolRef(true),
		NodeAssociatePublicIpAddress: pulumi.BoolRef(false),
		Tags:                         b.tags("eks"),
	}, b.parent, pulumi.Providers(b.args.AWSProvider), protectEKSCluster(b.args.Protect),
		// EKS creates its log group on first write if it is missing
		// (unencrypted, kept forever), and refuses to start without its
		// policies and key access: a real ordering need, not data flow.
		pulumi.DependsOn([]pulumi.Resource{logGroup, clusterPolicy, keyUse}))
	if err != nil {
		return fmt.Errorf("create EKS cluster: %w", err)
	}
	b.clusterName = b.eks.EksCluster.Name()
	b.clusterVersion = b.eks.EksCluster.Version()
	b.clusterSGID = b.eks.EksCluster.VpcConfig().ClusterSecurityGroupId().Elem()
	oidc := b.eks.Core.OidcProvider()
	b.oidcArn = oidc.Arn()
	b.oidcUrl = oidc.Url()

	b.kube, err = kubernetes.NewProvider(b.ctx, b.name+"-k8s", &kubernetes.ProviderArgs{
		// The provider keeps its kubeconfig secret in state itself.
		Kubeconfig:            b.eks.KubeconfigJson,
		EnableServerSideApply: pulumi.Bool(true),
		// A new certificate or password updates its Secret in place; by
		// default pulumi-kubernetes replaces a Secret whose data changes
		// (provider/pkg/provider/diff.go, v4.32.0).
		EnableSecretMutable: pulumi.Bool(true),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("create Kubernetes provider: %w", err)
	}
	return nil
}

// EKSClusterType is the control plane pulumi-eks creates inside its component.
const EKSClusterType = "aws:eks/cluster:Cluster"

// protectEKSCluster protects the control plane pulumi-eks creates, and
// nothing else of it. Protect on the component would reach every child it
// makes (access entries, security groups, roles, Kubernetes providers), so
// removing an admin role would fail with "resource is protected". A
// transform reaches the children of a multi-language component because the
// engine, not the component, applies it.
func protectEKSCluster(protect bool) pulumi.ResourceOption {
	if !protect {
		return pulumi.Transforms(nil)
	}
	return pulumi.Transforms([]pulumi.ResourceTransform{ProtectOnly(EKSClusterType)})
}

// ProtectOnly is a transform that protects the resources of one type.
func ProtectOnly(typ string) pulumi.ResourceTransform {
	return func(_ context.Context, a *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
		if a.Type != typ {
			return nil
		}
		a.Opts.Protect = true
		return &pulumi.ResourceTransformResult{Props: a.Props, Opts: a.Opts}
	}
}
