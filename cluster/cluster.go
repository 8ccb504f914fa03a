package cluster

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ebs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/internal/cidr"
	"github.com/bpa-infra/bpa-infra/internal/component"
)

// TypeToken is the component's type in URNs.
const TypeToken = "bpa:cluster:Cluster"

// Args describe the cluster. Subnet lists are in availability-zone order.
type Args struct {
	component.Stack
	AvailabilityZones []string
	VpcId             pulumi.StringInput
	VpcCidr           string
	PodCidr           string
	PrivateSubnetIds  pulumi.StringArrayInput
	PublicSubnetIds   pulumi.StringArrayInput
	PodSubnetIds      pulumi.StringArrayInput
	// BastionSecurityGroupId may reach the private API endpoint.
	BastionSecurityGroupId pulumi.StringInput
	// LogsKeyArn encrypts the control-plane log group.
	LogsKeyArn pulumi.StringInput
	// NodeEgress are the network resources nodes need to join: their routes
	// out and the interface endpoints (network.PrivateEgress).
	NodeEgress []pulumi.Resource
	// Deployer reaches the private API endpoint.
	Deployer component.Deployer
	// AWSProvider is handed to pulumi-eks explicitly: a remote component
	// receives only the providers given to it, not its parent's.
	AWSProvider pulumi.ProviderResource
	// EcrPullPolicyArn is the registry's scoped pull policy for the node
	// role; nil attaches nothing (the registry may attach it itself).
	EcrPullPolicyArn pulumi.StringInput
	Settings
}

// Settings are what a stack decides about the cluster, its nodes and the
// load balancer; internal/config decodes them from the bpa: keys named
// below, whose defaults Pulumi.yaml holds. Stack.Protect also guards the
// control plane and its secrets key and turns on the load balancer's
// deletion protection.
type Settings struct {
	// KubernetesVersion is an EKS minor version, "1.32" or later
	// (bpa:kubernetesVersion).
	KubernetesVersion string
	// PublicAccessCidrs may reach the public API endpoint; empty disables
	// it (bpa:publicAccessCidrs, never 0.0.0.0/0).
	PublicAccessCidrs []string
	// AdminRoleArns get cluster-admin access entries (the deploy role),
	// ViewRoleArns read-only ones (the preview role); bpa:adminRoleArns,
	// bpa:viewRoleArns.
	AdminRoleArns []string
	ViewRoleArns  []string
	// LogRetentionDays keeps control-plane logs, a CloudWatch Logs
	// retention period (bpa:clusterLogRetentionDays).
	LogRetentionDays int
	// AddonVersions pins add-on versions (bpa:clusterAddonVersions).
	AddonVersions AddonVersions
	// PodEgressCidrs are where pods may connect outside the VPC, any port:
	// BPA talks to network devices and controllers (bpa:podEgressCidrs).
	PodEgressCidrs []string

	BpaNodes     BpaNodeArgs
	GeneralNodes GeneralNodeArgs
	// BundlePath is a local copy of the BPA release bundle to upload to the
	// bundle bucket; empty uploads nothing, push it with aws s3 sync
	// (bpa:bpaBundlePath).
	BundlePath   string
	LoadBalancer LoadBalancerArgs
}

// AddonVersions pins EKS managed add-on versions (v1.19.2-eksbuild.1);
// empty takes EKS's default for the cluster's Kubernetes version.
type AddonVersions struct {
	VpcCni       string `json:"vpcCni"`
	CoreDns      string `json:"coreDns"`
	KubeProxy    string `json:"kubeProxy"`
	EbsCsiDriver string `json:"ebsCsiDriver"`
}

// BpaNodeArgs size the four BPA nodes.
type BpaNodeArgs struct {
	InstanceType string
	// MaxPods is the kubelet limit under custom networking.
	MaxPods              int
	RootVolumeGiB        int
	DataVolumeGiB        int
	DataVolumeIops       int
	DataVolumeThroughput int
	// DataDirectories are the owner and mode of each hostPath directory,
	// by path below DataRoot; every directory of Nodes needs one.
	DataDirectories map[string]DataDirectory
}

// DataDirectory is a hostPath directory's owner and mode.
type DataDirectory struct {
	UID, GID int
	Mode     uint32
}

// GeneralNodeArgs size the optional general-purpose node group.
type GeneralNodeArgs struct {
	Count         int
	InstanceType  string
	MaxPods       int
	RootVolumeGiB int
}

// LoadBalancerArgs describe the Application Load Balancer.
type LoadBalancerArgs struct {
	IngressCidrs   []string
	CertificateArn string
	Listeners      []Listener
	// AccessLogDays keeps access logs in a bucket of their own for that
	// many days; 0 turns access logs off.
	AccessLogDays int
	// Waf puts an AWS WAF web ACL with AWS managed rule groups in front of
	// the load balancer (waf.go).
	Waf bool
}

// Listener forwards one load balancer port to a port on the BPA nodes; the
// JSON names are those of a bpa:loadBalancerListeners entry.
type Listener struct {
	Port            int    `json:"-"`
	Protocol        string `json:"protocol"` // HTTPS or HTTP
	TargetPort      int    `json:"targetPort"`
	TargetProtocol  string `json:"targetProtocol"`
	HealthCheckPath string `json:"healthCheckPath"`
	// HostPort: the chart binds TargetPort on the nodes (hostPort or host
	// network), it is no Kubernetes NodePort.
	HostPort bool `json:"hostPort"`
}

// Cluster is the EKS cluster and what it exposes to the other components.
type Cluster struct {
	pulumi.ResourceState

	ClusterName pulumi.StringOutput
	// Kubeconfig is a secret: it names the cluster's endpoint and CA.
	Kubeconfig      pulumi.StringOutput
	OidcProviderArn pulumi.StringOutput
	OidcProviderUrl pulumi.StringOutput
	NodeRoleArn     pulumi.StringOutput
	NodeRoleName    pulumi.StringOutput
	// NodeSecurityGroupId and PodSecurityGroupId are known without waiting
	// for the control plane: data tiers admit them.
	NodeSecurityGroupId pulumi.StringOutput
	PodSecurityGroupId  pulumi.StringOutput
	LoadBalancerDnsName pulumi.StringOutput
	// BundleBucket holds the BPA release bundle below bundle/, which every
	// BPA node copies into /opt/bpa when it prepares its data.
	BundleBucket pulumi.StringOutput
	// KubeProvider deploys into the cluster.
	KubeProvider *kubernetes.Provider
	// BpaNodeGroups are the four BPA node groups, for releases that need the
	// labelled nodes to exist.
	BpaNodeGroups []pulumi.Resource
	// Ready is what any workload needs besides its own nodes: every node
	// group and the cluster DNS.
	Ready []pulumi.Resource
	// NodeLabels are each BPA node's labels, in node order.
	NodeLabels []map[string]string
}

// Check reports every problem of the arguments.
func (a *Args) Check() error {
	if a == nil {
		return component.ErrNoArgs
	}
	errs := []error{a.Stack.Check()}
	req := func(ok bool, msg string) {
		if !ok {
			errs = append(errs, errors.New(msg))
		}
	}
	req(len(a.AvailabilityZones) == 3, fmt.Sprintf("AvailabilityZones: want 3 zones, got %d", len(a.AvailabilityZones)))
	req(a.VpcId != nil, "VpcId is required")
	req(a.PrivateSubnetIds != nil && a.PublicSubnetIds != nil && a.PodSubnetIds != nil, "PrivateSubnetIds, PublicSubnetIds and PodSubnetIds are required")
	req(a.BastionSecurityGroupId != nil, "BastionSecurityGroupId is required")
	req(a.LogsKeyArn != nil, "LogsKeyArn is required")
	req(a.AWSProvider != nil, "AWSProvider is required")
	for name, c := range map[string]string{"VpcCidr": a.VpcCidr, "PodCidr": a.PodCidr} {
		if _, err := netip.ParsePrefix(c); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not a CIDR block", name, c))
		}
	}
	for field, sources := range map[string][]string{
		"PublicAccessCidrs": a.PublicAccessCidrs, "Deployer.Cidrs": a.Deployer.Cidrs,
	} {
		for _, problem := range cidr.CheckSources(sources, false) {
			errs = append(errs, fmt.Errorf("%s: %s", field, problem))
		}
	}
	for field, sources := range map[string][]string{
		"LoadBalancer.IngressCidrs": a.LoadBalancer.IngressCidrs, "PodEgressCidrs": a.PodEgressCidrs,
	} {
		for _, problem := range cidr.CheckSources(sources, true) {
			errs = append(errs, fmt.Errorf("%s: %s", field, problem))
		}
	}
	req(a.KubernetesVersion != "", "KubernetesVersion is required")
	req(a.LogRetentionDays > 0, "LogRetentionDays must be positive")
	n := a.BpaNodes
	req(n.InstanceType != "" && n.MaxPods > 0, "BpaNodes: InstanceType and MaxPods are required")
	req(n.RootVolumeGiB > 0 && n.DataVolumeGiB > 0, "BpaNodes: volume sizes must be positive")
	for _, node := range Nodes {
		for _, d := range node.DataDirs {
			_, ok := n.DataDirectories[d]
			req(ok, fmt.Sprintf("BpaNodes.DataDirectories: no owner and mode for %s", d))
		}
	}
	req(a.BundlePath == "" || bundleExists(a.BundlePath), fmt.Sprintf("BundlePath: %q is not a directory", a.BundlePath))
	g := a.GeneralNodes
	req(g.Count >= 0, "GeneralNodes.Count must not be negative")
	req(g.Count == 0 || (g.InstanceType != "" && g.MaxPods > 0 && g.RootVolumeGiB > 0), "GeneralNodes: InstanceType, MaxPods and RootVolumeGiB are required when Count > 0")
	lb := a.LoadBalancer
	req(len(lb.Listeners) > 0, "LoadBalancer.Listeners: at least one is required")
	for _, l := range lb.Listeners {
		req(l.Protocol == "HTTPS" || l.Protocol == "HTTP", fmt.Sprintf("listener %d: protocol %q", l.Port, l.Protocol))
		req(l.TargetProtocol == "HTTPS" || l.TargetProtocol == "HTTP", fmt.Sprintf("listener %d: target protocol %q", l.Port, l.TargetProtocol))
		req(l.Port > 0 && l.Port < 65536 && l.TargetPort > 0 && l.TargetPort < 65536, fmt.Sprintf("listener %d: ports out of range", l.Port))
		req(l.Protocol != "HTTPS" || lb.CertificateArn != "", fmt.Sprintf("listener %d: HTTPS needs LoadBalancer.CertificateArn", l.Port))
	}
	return errors.Join(errs...)
}

// New creates the cluster.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Cluster, error) {
	c := &Cluster{}
	b := &builder{ctx: ctx, name: name, args: args, parent: pulumi.Parent(c)}
	if err := component.Build(ctx, TypeToken, name, c, args, opts,
		b.securityGroups, b.nodeIAM, b.nodeData, b.controlPlane, b.podNetworking,
		b.bpaNodeGroups, b.generalNodeGroup, b.addons, b.accessLogBucket, b.loadBalancer,
		b.loadBalancerWaf,
	); err != nil {
		return nil, err
	}

	c.ClusterName = b.eks.EksCluster.Name()
	c.Kubeconfig = pulumi.ToSecret(b.eks.KubeconfigJson).(pulumi.StringOutput)
	c.OidcProviderArn = b.oidcArn
	c.OidcProviderUrl = b.oidcUrl
	c.NodeRoleArn = b.nodeRole.Arn
	c.NodeRoleName = b.nodeRole.Name
	c.NodeSecurityGroupId = b.nodeSG.ID().ToStringOutput()
	c.PodSecurityGroupId = b.podSG.ID().ToStringOutput()
	c.LoadBalancerDnsName = b.alb.DnsName
	c.KubeProvider = b.kube
	c.BundleBucket = b.bundleBucketName
	for i, ng := range b.bpaGroups {
		c.BpaNodeGroups = append(c.BpaNodeGroups, ng)
		c.NodeLabels = append(c.NodeLabels, Nodes[i].Labels())
	}
	c.Ready = append(append([]pulumi.Resource{}, c.BpaNodeGroups...), b.coreDNS)
	for _, ng := range b.generalGroups {
		c.Ready = append(c.Ready, ng)
	}

	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"clusterName":         c.ClusterName,
		"kubeconfig":          c.Kubeconfig,
		"oidcProviderArn":     c.OidcProviderArn,
		"nodeRoleArn":         c.NodeRoleArn,
		"nodeSecurityGroupId": c.NodeSecurityGroupId,
		"podSecurityGroupId":  c.PodSecurityGroupId,
		"loadBalancerDnsName": c.LoadBalancerDnsName,
		"bundleBucket":        c.BundleBucket,
	})
}

// builder carries what the steps of New share.
type builder struct {
	ctx    *pulumi.Context
	name   string
	args   *Args
	parent pulumi.ResourceOrInvokeOption

	controlPlaneSG *ec2.SecurityGroup
	nodeSG         *ec2.SecurityGroup
	podSG          *ec2.SecurityGroup
	albSG          *ec2.SecurityGroup

	nodeRole *iam.Role
	// nodeRoleReady are the node role's policies: nodes cannot join without them.
	nodeRoleReady []pulumi.Resource

	eks            *eks.Cluster
	clusterName    pulumi.StringOutput
	clusterVersion pulumi.StringOutput
	clusterSGID    pulumi.StringOutput
	oidcArn        pulumi.StringOutput
	oidcUrl        pulumi.StringOutput
	kube           *kubernetes.Provider
	podNetworkDone []pulumi.Resource

	dataVolumes      []*ebs.Volume
	bundleBucketName pulumi.StringOutput

	bpaGroups     []*awseks.NodeGroup
	generalGroups []*awseks.NodeGroup
	coreDNS       *awseks.Addon
	alb           *lb.LoadBalancer
	accessLogs    *accessLogs
}

// tags gives a resource its Name; the stack-wide tags come from the
// provider's default tags.
func (b *builder) tags(suffix string) pulumi.StringMap {
	return pulumi.StringMap{"Name": pulumi.String(b.args.NamePrefix + "-" + suffix)}
}

// launchedTags are the tags of instances and volumes a launch template
// starts: the stack's tags in full, since default tags stop at the template.
func (b *builder) launchedTags(suffix string) pulumi.StringMap {
	tags := pulumi.ToStringMap(b.args.Tags)
	tags["Name"] = pulumi.String(b.args.NamePrefix + "-" + suffix)
	return tags
}

// zoneIndex returns the i-th element of a per-zone list.
func zoneIndex(ids pulumi.StringArrayInput, i int) pulumi.StringOutput {
	return ids.ToStringArrayOutput().Index(pulumi.Int(i))
}
