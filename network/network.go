package network

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TypeToken is the component's type in URNs.
const TypeToken = "bpa:network:Network"

// Args describe the network. Subnet lists are in availability-zone order.
type Args struct {
	// NamePrefix starts every Name tag and physical name ("acme-prod").
	NamePrefix string
	// ClusterName is tagged on subnets so Kubernetes finds them for load balancers.
	ClusterName string
	Region      string
	// Account is the AWS account id the stack deploys to (key policies and
	// ARNs name it), looked up once by the program.
	Account           pulumi.StringOutput
	AvailabilityZones []string
	VpcCidr           netip.Prefix
	PodCidr           netip.Prefix
	PublicSubnets     []netip.Prefix
	PrivateSubnets    []netip.Prefix
	PodSubnets        []netip.Prefix
	DataSubnets       []netip.Prefix
	// SingleNatGateway shares one NAT gateway between the zones (cheaper, but
	// a zone outage cuts the others off the internet).
	SingleNatGateway     bool
	FlowLogRetentionDays int
	// InterfaceEndpoints adds private endpoints for ECR, STS, EC2, Logs and SSM.
	InterfaceEndpoints  bool
	BastionInstanceType string
	// Protect guards the logs key: without it the stack's encrypted logs
	// cannot be read.
	Protect bool
}

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

func (a *Args) validate() error {
	var errs []error
	if a.Account.OutputState == nil {
		errs = append(errs, errors.New("the Account id is required"))
	}
	if a.NamePrefix == "" {
		errs = append(errs, errors.New("NamePrefix is required"))
	}
	if a.Region == "" {
		errs = append(errs, errors.New("a Region is required"))
	}
	zones := len(a.AvailabilityZones)
	if zones != 3 {
		errs = append(errs, fmt.Errorf("AvailabilityZones: want 3 zones, got %d", zones))
	}
	for tier, subnets := range map[string][]netip.Prefix{
		"PublicSubnets": a.PublicSubnets, "PrivateSubnets": a.PrivateSubnets,
		"PodSubnets": a.PodSubnets, "DataSubnets": a.DataSubnets,
	} {
		if len(subnets) != zones {
			errs = append(errs, fmt.Errorf("%s: want one per zone (%d), got %d", tier, zones, len(subnets)))
		}
		within := a.VpcCidr
		if tier == "PodSubnets" {
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
	if args == nil {
		return nil, errors.New("network: args are required")
	}
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("network: invalid args: %w", err)
	}
	n := &Network{}
	if err := ctx.RegisterComponentResource(TypeToken, name, n, opts...); err != nil {
		return nil, err
	}
	b := &builder{ctx: ctx, name: name, args: args, parent: pulumi.Parent(n)}
	b.account = args.Account

	steps := []func() error{b.vpc, b.subnets, b.routing, b.logsKey, b.flowLogs, b.endpoints, b.bastion}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, fmt.Errorf("network %s: %w", name, err)
		}
	}

	n.VpcId = b.vpcRes.ID()
	n.VpcCidr = b.vpcRes.CidrBlock
	n.PodCidr = b.podRange.CidrBlock
	n.AvailabilityZones = pulumi.ToStringArray(args.AvailabilityZones).ToStringArrayOutput()
	n.PublicSubnetIds = subnetIDs(b.public)
	n.PrivateSubnetIds = subnetIDs(b.private)
	n.PodSubnetIds = subnetIDs(b.pod)
	n.DataSubnetIds = subnetIDs(b.data)
	n.DataSubnetCidrs = pulumi.ToStringArray(prefixStrings(args.DataSubnets)).ToStringArrayOutput()
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
	ctx     *pulumi.Context
	name    string
	args    *Args
	parent  pulumi.ResourceOrInvokeOption
	account pulumi.StringOutput

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
