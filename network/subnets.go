package network

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func (b *builder) vpc() error {
	var err error
	b.vpcRes, err = ec2.NewVpc(b.ctx, b.name+"-vpc", &ec2.VpcArgs{
		CidrBlock:          pulumi.String(b.args.VpcCidr.String()),
		EnableDnsSupport:   pulumi.Bool(true),
		EnableDnsHostnames: pulumi.Bool(true),
		Tags:               b.tags("vpc"),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("create VPC: %w", err)
	}
	b.podRange, err = ec2.NewVpcIpv4CidrBlockAssociation(b.ctx, b.name+"-pod-range", &ec2.VpcIpv4CidrBlockAssociationArgs{
		VpcId:     b.vpcRes.ID(),
		CidrBlock: pulumi.String(b.args.PodCidr.String()),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("associate pod range: %w", err)
	}
	// An empty default security group: nothing can use it by accident.
	if _, err := ec2.NewDefaultSecurityGroup(b.ctx, b.name+"-default-sg", &ec2.DefaultSecurityGroupArgs{
		VpcId: b.vpcRes.ID(),
		Tags:  b.tags("default-locked"),
	}, b.parent); err != nil {
		return fmt.Errorf("lock default security group: %w", err)
	}
	return nil
}

func (b *builder) subnets() error {
	b.subnetLabel = map[*ec2.Subnet]string{}
	clusterTag := "kubernetes.io/cluster/" + b.args.ClusterName
	tiers := []struct {
		tier   string
		cidrs  []string
		out    *[]*ec2.Subnet
		public bool
		tags   []string
		// the pod range must be attached before a subnet can use it
		after []pulumi.Resource
	}{
		{"public", prefixStrings(b.args.Subnets.Public), &b.public, true,
			[]string{"kubernetes.io/role/elb", "1", clusterTag, "shared", "tier", "public"}, nil},
		{"private", prefixStrings(b.args.Subnets.Private), &b.private, false,
			[]string{"kubernetes.io/role/internal-elb", "1", clusterTag, "shared", "tier", "private"}, nil},
		{"pod", prefixStrings(b.args.Subnets.Pod), &b.pod, false, []string{"tier", "pod"}, []pulumi.Resource{b.podRange}},
		{"data", prefixStrings(b.args.Subnets.Data), &b.data, false, []string{"tier", "data"}, nil},
	}
	for _, t := range tiers {
		for i, az := range b.args.AvailabilityZones {
			opts := []pulumi.ResourceOption{b.parent}
			if t.after != nil {
				opts = append(opts, pulumi.DependsOn(t.after))
			}
			s, err := ec2.NewSubnet(b.ctx, fmt.Sprintf("%s-%s-%s", b.name, t.tier, az), &ec2.SubnetArgs{
				VpcId:               b.vpcRes.ID(),
				AvailabilityZone:    pulumi.String(az),
				CidrBlock:           pulumi.String(t.cidrs[i]),
				MapPublicIpOnLaunch: pulumi.Bool(false),
				Tags:                b.tags(t.tier+"-"+az, t.tags...),
			}, opts...)
			if err != nil {
				return fmt.Errorf("create %s subnet in %s: %w", t.tier, az, err)
			}
			*t.out = append(*t.out, s)
			b.subnetLabel[s] = t.tier + "-" + az
		}
	}
	return nil
}

// routing sends public subnets to the internet gateway, each zone's node and
// pod subnets to a NAT gateway, and gives data subnets no way out at all.
func (b *builder) routing() error {
	igw, err := ec2.NewInternetGateway(b.ctx, b.name+"-igw", &ec2.InternetGatewayArgs{
		VpcId: b.vpcRes.ID(),
		Tags:  b.tags("igw"),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("create internet gateway: %w", err)
	}
	publicTable, err := b.routeTable("public", "public")
	if err != nil {
		return err
	}
	if _, err := ec2.NewRoute(b.ctx, b.name+"-public-default", &ec2.RouteArgs{
		RouteTableId:         publicTable.ID(),
		DestinationCidrBlock: pulumi.String("0.0.0.0/0"),
		GatewayId:            igw.ID(),
	}, b.parent); err != nil {
		return fmt.Errorf("create public default route: %w", err)
	}
	if err := b.associate(publicTable, b.public); err != nil {
		return err
	}

	natZones := b.args.AvailabilityZones
	if b.args.NatGateways == NatSingle {
		natZones = natZones[:1]
	}
	nats := make([]*ec2.NatGateway, len(natZones))
	for i, az := range natZones {
		eip, err := ec2.NewEip(b.ctx, b.name+"-nat-"+az, &ec2.EipArgs{
			Domain: pulumi.String("vpc"),
			Tags:   b.tags("nat-" + az),
		}, b.parent)
		if err != nil {
			return fmt.Errorf("allocate NAT address in %s: %w", az, err)
		}
		nats[i], err = ec2.NewNatGateway(b.ctx, b.name+"-nat-"+az, &ec2.NatGatewayArgs{
			AllocationId: eip.AllocationId,
			SubnetId:     b.public[i].ID(),
			Tags:         b.tags("nat-" + az),
		}, b.parent, pulumi.DependsOn([]pulumi.Resource{igw}))
		if err != nil {
			return fmt.Errorf("create NAT gateway in %s: %w", az, err)
		}
	}

	for i, az := range b.args.AvailabilityZones {
		table, err := b.routeTable("private-"+az, "private")
		if err != nil {
			return err
		}
		nat := nats[min(i, len(nats)-1)]
		route, err := ec2.NewRoute(b.ctx, b.name+"-private-default-"+az, &ec2.RouteArgs{
			RouteTableId:         table.ID(),
			DestinationCidrBlock: pulumi.String("0.0.0.0/0"),
			NatGatewayId:         nat.ID(),
		}, b.parent)
		if err != nil {
			return fmt.Errorf("create private default route in %s: %w", az, err)
		}
		b.privateEgress = append(b.privateEgress, route)
		b.privateTables = append(b.privateTables, table)
		if err := b.associate(table, []*ec2.Subnet{b.private[i], b.pod[i]}); err != nil {
			return err
		}
	}

	b.dataTable, err = b.routeTable("data", "data")
	if err != nil {
		return err
	}
	return b.associate(b.dataTable, b.data)
}

func (b *builder) routeTable(suffix, tier string) (*ec2.RouteTable, error) {
	t, err := ec2.NewRouteTable(b.ctx, b.name+"-rt-"+suffix, &ec2.RouteTableArgs{
		VpcId: b.vpcRes.ID(),
		Tags:  b.tags("rt-"+suffix, "tier", tier),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("create route table %s: %w", suffix, err)
	}
	return t, nil
}

func (b *builder) associate(table *ec2.RouteTable, subnets []*ec2.Subnet) error {
	for _, s := range subnets {
		label := b.subnetLabel[s]
		assoc, err := ec2.NewRouteTableAssociation(b.ctx, b.name+"-rta-"+label, &ec2.RouteTableAssociationArgs{
			RouteTableId: table.ID(),
			SubnetId:     s.ID(),
		}, b.parent)
		if err != nil {
			return fmt.Errorf("associate route table with subnet %s: %w", label, err)
		}
		if slices.Contains(b.privateTables, table) {
			b.privateEgress = append(b.privateEgress, assoc)
		}
	}
	return nil
}
