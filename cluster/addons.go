package cluster

import (
	"encoding/json"
	"fmt"

	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// addon creates an EKS managed add-on. EKS bootstraps self-managed copies of
// vpc-cni, kube-proxy and CoreDNS; OVERWRITE adopts them.
func (b *builder) addon(name, version string, args *awseks.AddonArgs, opts ...pulumi.ResourceOption) (*awseks.Addon, error) {
	args.ClusterName = b.clusterName
	args.AddonName = pulumi.String(name)
	if version != "" {
		args.AddonVersion = pulumi.String(version)
	}
	args.ResolveConflictsOnCreate = pulumi.String("OVERWRITE")
	args.ResolveConflictsOnUpdate = pulumi.String("OVERWRITE")
	args.Tags = b.tags("addon-" + name)
	a, err := awseks.NewAddon(b.ctx, b.name+"-addon-"+name, args, append([]pulumi.ResourceOption{b.parent}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("create %s add-on: %w", name, err)
	}
	return a, nil
}

// addons adds kube-proxy, CoreDNS and the EBS CSI driver (vpc-cni is part of
// pod networking).
func (b *builder) addons() error {
	if _, err := b.addon("kube-proxy", b.args.AddonVersions.KubeProxy, &awseks.AddonArgs{}); err != nil {
		return err
	}
	// CoreDNS and the EBS CSI controller are Deployments: until nodes exist
	// their pods cannot run and the add-ons stay DEGRADED until the provider
	// gives up, so they wait for the node groups.
	var nodes []pulumi.Resource
	for _, ng := range append(append([]*awseks.NodeGroup{}, b.bpaGroups...), b.generalGroups...) {
		nodes = append(nodes, ng)
	}
	afterNodes := pulumi.DependsOn(nodes)
	var err error
	if b.coreDNS, err = b.addon("coredns", b.args.AddonVersions.CoreDns, &awseks.AddonArgs{}, afterNodes); err != nil {
		return err
	}

	role, err := iam.NewRole(b.ctx, b.name+"-ebs-csi", &iam.RoleArgs{
		Description:      pulumi.String("EBS CSI driver controller of " + b.args.NamePrefix + " (IRSA)"),
		AssumeRolePolicy: irsaTrust(b.oidcArn, b.oidcUrl, "kube-system", "ebs-csi-controller-sa"),
		Tags:             b.tags("ebs-csi"),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("create EBS CSI role: %w", err)
	}
	if _, err := iam.NewRolePolicyAttachment(b.ctx, b.name+"-ebs-csi", &iam.RolePolicyAttachmentArgs{
		Role:      role.Name,
		PolicyArn: pulumi.String(b.policyArn("service-role/AmazonEBSCSIDriverPolicy")),
	}, b.parent); err != nil {
		return fmt.Errorf("attach EBS CSI policy: %w", err)
	}
	csiConfig, err := ebsCSIConfiguration(b.args.Region)
	if err != nil {
		return err
	}
	if _, err := b.addon("aws-ebs-csi-driver", b.args.AddonVersions.EbsCsiDriver, &awseks.AddonArgs{
		ServiceAccountRoleArn: role.Arn,
		ConfigurationValues:   pulumi.String(csiConfig),
	}, afterNodes); err != nil {
		return err
	}
	return nil
}

// ebsCSIConfiguration is the EBS CSI driver add-on's configuration: the
// controller's region given, not looked up. The nodes answer instance
// metadata one hop only (nodegroups.go), so the controller pods cannot reach
// IMDS; the region is the one thing the controller would otherwise ask it
// for (its credentials come from IRSA), and without it each start waits for
// the IMDS lookups to time out. The key is controller.region of the driver's
// chart schema (kubernetes-sigs/aws-ebs-csi-driver,
// charts/aws-ebs-csi-driver/values.schema.json: "AWS region to use. If not
// specified then the region will be looked up via the AWS EC2 metadata"),
// which the add-on's configuration schema follows (aws eks
// describe-addon-configuration --addon-name aws-ebs-csi-driver).
func ebsCSIConfiguration(region string) (string, error) {
	b, err := json.Marshal(map[string]any{"controller": map[string]any{"region": region}})
	if err != nil {
		return "", fmt.Errorf("EBS CSI configuration values: %w", err)
	}
	return string(b), nil
}
