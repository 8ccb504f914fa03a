package network

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/internal/component"
)

// TypeToken is the component's type in URNs.
const TypeToken = "bpa:network:Network"

// Args describe the network.
type Args struct {
	component.Stack
	// ClusterName is tagged on subnets so Kubernetes finds them for load balancers.
	ClusterName string
	Settings
}

// Settings are what a stack decides about its network; internal/config
// decodes them from the bpa: keys named below, whose defaults Pulumi.yaml
// holds.
type Settings struct {
	// AvailabilityZones are the stack's three zones (bpa:availabilityZones).
	AvailabilityZones []string
	// VpcCidr is the VPC's RFC 1918 range, /16 to /28 (bpa:vpcCidr).
	VpcCidr netip.Prefix
	// PodCidr is the pods' secondary range inside 100.64.0.0/10, apart from
	// VpcCidr (bpa:podCidr).
	PodCidr netip.Prefix
	// Subnets are each tier's subnets in zone order, carved by internal/config
	// from the ranges and bpa:<tier>SubnetPrefix.
	Subnets SubnetLayout
	// NatGateways is perAz or single (bpa:natGateways).
	NatGateways NatMode
	// FlowLogRetentionDays keeps VPC flow logs, a CloudWatch Logs retention
	// period (bpa:flowLogRetentionDays).
	FlowLogRetentionDays int
	// InterfaceEndpoints adds private endpoints for ECR, STS, EC2, Logs and
	// SSM (bpa:interfaceEndpoints).
	InterfaceEndpoints bool
	// BastionInstanceType is the SSM bastion's EC2 type (bpa:bastionInstanceType).
	BastionInstanceType string
}

// SubnetLayout holds each tier's subnets in availability-zone order.
type SubnetLayout struct {
	Public  []netip.Prefix
	Private []netip.Prefix
	Data    []netip.Prefix
	Pod     []netip.Prefix
}

// NatMode says how many NAT gateways the private subnets share.
type NatMode string

// The NAT modes bpa:natGateways takes.
const (
	NatPerAz  NatMode = "perAz"  // one per zone: a zone failure cuts no other zone off
	NatSingle NatMode = "single" // one for the stack: cheaper, for non-production
)

// Network is the VPC and what it exposes to the other components.
type Network struct {
	pulumi.ResourceState

	VpcId             pulumi.IDOutput
	VpcCidr           pulumi.StringOutput
	PodCidr           pulumi.StringOutput
	AvailabilityZones pulumi.StringArrayOutput
	PublicSubnetIds   pulumi.StringArrayOutput
	PrivateSubnetIds  pulumi.StringArrayOutput
	PodSubnetIds      pulumi.StringArrayOutput
	DataSubnetIds     pulumi.StringArrayOutput
	// DataSubnetCidrs lets data-tier rules name the subnets without a lookup.
	DataSubnetCidrs pulumi.StringArrayOutput
	// BastionSecurityGroupId is the source databases admit for admin port forwarding.
	BastionSecurityGroupId pulumi.IDOutput
	BastionInstanceId      pulumi.IDOutput
	// LogsKeyArn encrypts the stack's CloudWatch log groups.
	LogsKeyArn pulumi.StringOutput
	// PrivateEgress are the private subnets' default routes, route-table
	// associations and interface endpoints: instances started in those
	// subnets before these exist cannot reach ECR or the EKS API.
	PrivateEgress []pulumi.Resource
}

// Check reports every problem of the arguments.
func (a *Args) Check() error {
	if a == nil {
		return component.ErrNoArgs
	}
	errs := []error{a.Stack.Check()}
	zones := len(a.AvailabilityZones)
	if zones != 3 {
		errs = append(errs, fmt.Errorf("AvailabilityZones: want 3 zones, got %d", zones))
	}
	for tier, subnets := range map[string][]netip.Prefix{
		"Subnets.Public": a.Subnets.Public, "Subnets.Private": a.Subnets.Private,
		"Subnets.Pod": a.Subnets.Pod, "Subnets.Data": a.Subnets.Data,
	} {
		if len(subnets) != zones {
			errs = append(errs, fmt.Errorf("%s: want one per zone (%d), got %d", tier, zones, len(subnets)))
		}
		within := a.VpcCidr
		if tier == "Subnets.Pod" {
			within = a.PodCidr
		}
		for _, s := range subnets {
			if !within.Contains(s.Addr()) || s.Bits() < within.Bits() {
				errs = append(errs, fmt.Errorf("%s: %s is outside %s", tier, s, within))
			}
		}
	}
	if a.FlowLogRetentionDays <= 0 {
		errs = append(errs, errors.New("FlowLogRetentionDays must be positive"))
	}
	if a.BastionInstanceType == "" {
		errs = append(errs, errors.New("BastionInstanceType is required"))
	}
	return errors.Join(errs...)
}

// New creates the network.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Network, error) {
	n := &Network{}
	b := &builder{ctx: ctx, name: name, args: args, parent: pulumi.Parent(n)}
	if err := component.Build(ctx, TypeToken, name, n, args, opts,
		b.vpc, b.subnets, b.routing, b.logsKey, b.flowLogs, b.endpoints, b.bastion); err != nil {
		return nil, err
	}

	n.VpcId = b.vpcRes.ID()
	n.VpcCidr = b.vpcRes.CidrBlock
	n.PodCidr = b.podRange.CidrBlock
	n.AvailabilityZones = pulumi.ToStringArray(args.AvailabilityZones).ToStringArrayOutput()
	n.PublicSubnetIds = subnetIDs(b.public)
	n.PrivateSubnetIds = subnetIDs(b.private)
	n.PodSubnetIds = subnetIDs(b.pod)
	n.DataSubnetIds = subnetIDs(b.data)
	n.DataSubnetCidrs = pulumi.ToStringArray(prefixStrings(args.Subnets.Data)).ToStringArrayOutput()
	n.BastionSecurityGroupId = b.bastionSG.ID()
	n.BastionInstanceId = b.bastionInstance.ID()
	n.LogsKeyArn = b.logsKeyArn
	n.PrivateEgress = b.privateEgress

	return n, ctx.RegisterResourceOutputs(n, pulumi.Map{
		"vpcId":            n.VpcId,
		"publicSubnetIds":  n.PublicSubnetIds,
		"privateSubnetIds": n.PrivateSubnetIds,
		"podSubnetIds":     n.PodSubnetIds,
		"dataSubnetIds":    n.DataSubnetIds,
		"bastionId":        n.BastionInstanceId,
	})
}

// builder carries what the steps of New share.
type builder struct {
	ctx    *pulumi.Context
	name   string
	args   *Args
	parent pulumi.ResourceOrInvokeOption

	vpcRes          *ec2.Vpc
	podRange        *ec2.VpcIpv4CidrBlockAssociation
	public          []*ec2.Subnet
	private         []*ec2.Subnet
	pod             []*ec2.Subnet
	data            []*ec2.Subnet
	subnetLabel     map[*ec2.Subnet]string
	privateTables   []*ec2.RouteTable
	privateEgress   []pulumi.Resource
	dataTable       *ec2.RouteTable
	logsKeyArn      pulumi.StringOutput
	bastionSG       *ec2.SecurityGroup
	bastionInstance *ec2.Instance
}

// tags gives a resource its Name; the stack-wide tags come from the
// provider's default tags.
func (b *builder) tags(suffix string, extra ...string) pulumi.StringMap {
	m := pulumi.StringMap{"Name": pulumi.String(b.args.NamePrefix + "-" + suffix)}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = pulumi.String(extra[i+1])
	}
	return m
}

func subnetIDs(subnets []*ec2.Subnet) pulumi.StringArrayOutput {
	ids := make(pulumi.StringArray, len(subnets))
	for i, s := range subnets {
		ids[i] = s.ID().ToStringOutput()
	}
	return ids.ToStringArrayOutput()
}

func prefixStrings(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}
