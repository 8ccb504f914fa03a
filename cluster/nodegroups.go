package cluster

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AmiType is the EKS-optimized Amazon Linux 2023 image managed node groups
// use (Amazon Linux 2 images end with Kubernetes 1.32).
const AmiType = "AL2023_x86_64_STANDARD"

// IMDSHopLimit is the nodes' instance metadata hop limit (see launchTemplate).
const IMDSHopLimit = 1

// launchTemplate prepares one kind of node: IMDSv2, encrypted gp3 disks, the
// node and cluster security groups and the user data. A managed node group
// with a custom launch template gets neither the EKS cluster security group
// nor anything else added for it.
func (b *builder) launchTemplate(suffix, instanceType string, userData pulumi.StringInput, rootGiB int) (*ec2.LaunchTemplate, error) {
	disks := ec2.LaunchTemplateBlockDeviceMappingArray{
		ec2.LaunchTemplateBlockDeviceMappingArgs{
			DeviceName: pulumi.String("/dev/xvda"),
			Ebs: ec2.LaunchTemplateBlockDeviceMappingEbsArgs{
				VolumeType:          pulumi.String("gp3"),
				VolumeSize:          pulumi.Int(rootGiB),
				Encrypted:           pulumi.String("true"),
				DeleteOnTermination: pulumi.String("true"),
			},
		},
	}
	lt, err := ec2.NewLaunchTemplate(b.ctx, b.name+"-"+suffix, &ec2.LaunchTemplateArgs{
		Description:          pulumi.String("EKS " + suffix + " of " + b.args.NamePrefix),
		InstanceType:         pulumi.String(instanceType),
		UserData:             userData,
		UpdateDefaultVersion: pulumi.Bool(true),
		VpcSecurityGroupIds:  pulumi.StringArray{b.nodeSG.ID(), b.clusterSGID},
		MetadataOptions: ec2.LaunchTemplateMetadataOptionsArgs{
			HttpEndpoint: pulumi.String("enabled"),
			HttpTokens:   pulumi.String("required"),
			// One hop: IMDS answers the node itself and pods on the host
			// network, never a pod in its own network namespace, so no pod
			// can take the node role's credentials (AWS's recommendation,
			// EKS best practices "Restrict access to the instance profile
			// assigned to the worker node"; Checkov CKV_AWS_341). No add-on
			// this cluster runs needs IMDS from a pod network namespace:
			//   - vpc-cni (aws-node) and kube-proxy run on the host network;
			//   - CoreDNS calls no AWS API;
			//   - the EBS CSI controller takes its credentials from IRSA
			//     (addons.go) and its region from the add-on configuration,
			//     and the EBS CSI node pods fall back to the Kubernetes API
			//     (the node's topology labels and providerID) for what they
			//     would read from IMDS;
			//   - the AWS Load Balancer Controller, the usual reason for two
			//     hops, is not deployed (the program's own ALB is Pulumi's).
			// The node's own user data (attaching its data volume, copying
			// the bundle) runs on the host and is unaffected.
			HttpPutResponseHopLimit: pulumi.Int(IMDSHopLimit),
		},
		BlockDeviceMappings: disks,
		Monitoring:          ec2.LaunchTemplateMonitoringArgs{Enabled: pulumi.Bool(true)},
		TagSpecifications: ec2.LaunchTemplateTagSpecificationArray{
			ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("instance"), Tags: b.launchedTags(suffix)},
			ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("volume"), Tags: b.launchedTags(suffix)},
		},
		Tags: b.tags(suffix),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("create %s launch template: %w", suffix, err)
	}
	return lt, nil
}

// nodeGroup creates a managed node group of a fixed size; no autoscaler
// runs, so the desired size is the configured one.
func (b *builder) nodeGroup(suffix string, lt *ec2.LaunchTemplate, subnets pulumi.StringArrayInput, size int, labels map[string]string, after ...pulumi.Resource) (*awseks.NodeGroup, error) {
	ready := slices.Concat(b.podNetworkDone, b.nodeRoleReady, b.args.NodeEgress, after)
	ng, err := awseks.NewNodeGroup(b.ctx, b.name+"-"+suffix, &awseks.NodeGroupArgs{
		ClusterName:   b.clusterName,
		NodeGroupName: pulumi.String(b.args.NamePrefix + "-" + suffix),
		NodeRoleArn:   b.nodeRole.Arn,
		SubnetIds:     subnets,
		// The nodes follow the control plane: an upgrade of
		// kubernetesVersion rolls them to the matching AMI.
		Version:      b.clusterVersion,
		AmiType:      pulumi.String(AmiType),
		CapacityType: pulumi.String("ON_DEMAND"),
		LaunchTemplate: awseks.NodeGroupLaunchTemplateArgs{
			Id:      lt.ID(),
			Version: pulumi.Sprintf("%d", lt.LatestVersion),
		},
		ScalingConfig: awseks.NodeGroupScalingConfigArgs{
			DesiredSize: pulumi.Int(size),
			MinSize:     pulumi.Int(size),
			MaxSize:     pulumi.Int(size),
		},
		UpdateConfig: awseks.NodeGroupUpdateConfigArgs{MaxUnavailable: pulumi.Int(1)},
		Labels:       pulumi.ToStringMap(labels),
		Tags:         b.tags(suffix),
	}, b.parent,
		// Nodes that join before custom networking is configured hand out
		// primary-range pod addresses, and nodes whose role lacks its
		// policies or whose subnets lack their routes out never register:
		// a real ordering need beyond data flow.
		pulumi.DependsOn(ready))
	if err != nil {
		return nil, fmt.Errorf("create %s node group: %w", suffix, err)
	}
	return ng, nil
}

// bpaNodeGroups creates the four BPA nodes, each a one-node group in its
// zone from its own launch template. The data volume is not in the
// template: the node attaches its own (nodedata.go), so a replacement node
// keeps the data.
func (b *builder) bpaNodeGroups() error {
	n := b.args.BpaNodes
	for i := range Nodes {
		node := Nodes[i]
		userData := pulumi.All(b.dataVolumes[i].ID(), b.bundleBucketName).ApplyT(func(v []any) (string, error) {
			return nodeUserData(&node, n.MaxPods, nodeData{
				Region: b.args.Region, Cluster: b.args.NamePrefix, VolumeID: string(v[0].(pulumi.ID)), Bundle: v[1].(string),
				Dirs: n.DataDirectories,
			})
		}).(pulumi.StringOutput)
		lt, err := b.launchTemplate("bpa-"+node.Name, n.InstanceType, userData, n.RootVolumeGiB)
		if err != nil {
			return err
		}
		subnet := pulumi.StringArray{zoneIndex(b.args.PrivateSubnetIds, node.Zone)}
		// One node at a time: ZooKeeper and Kafka keep their quorum only
		// if node-2 rolls after node-1 is back, and so on. The engine
		// updates unrelated resources at once.
		var previous []pulumi.Resource
		if i > 0 {
			previous = append(previous, b.bpaGroups[i-1])
		}
		// The chart's label (name=node-N) is not given here: the node sets
		// it itself once its data is in place (userdata.go).
		labels := map[string]string{NodeGroupLabelKey: node.Name}
		ng, err := b.nodeGroup("bpa-"+node.Name, lt, subnet, 1, labels, previous...)
		if err != nil {
			return err
		}
		b.bpaGroups = append(b.bpaGroups, ng)
	}
	return nil
}

// generalNodeGroup creates the optional group for pods not pinned to a BPA
// node, spread over the three zones.
func (b *builder) generalNodeGroup() error {
	g := b.args.GeneralNodes
	if g.Count == 0 {
		return nil
	}
	userData, err := nodeUserData(nil, g.MaxPods, nodeData{})
	if err != nil {
		return fmt.Errorf("render general node user data: %w", err)
	}
	lt, err := b.launchTemplate("general", g.InstanceType, pulumi.String(userData), g.RootVolumeGiB)
	if err != nil {
		return err
	}
	ng, err := b.nodeGroup("general", lt, b.args.PrivateSubnetIds, g.Count, map[string]string{"role": "general"})
	if err != nil {
		return err
	}
	b.generalGroups = append(b.generalGroups, ng)
	return nil
}
