package network_test

import (
	"net/netip"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/internal/component"
	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
	"github.com/bpa-infra/bpa-infra/network"
)

const (
	vpcType    = "aws:ec2/vpc:Vpc"
	subnetType = "aws:ec2/subnet:Subnet"
	natType    = "aws:ec2/natGateway:NatGateway"
	routeType  = "aws:ec2/route:Route"
	rtaType    = "aws:ec2/routeTableAssociation:RouteTableAssociation"
	ingress    = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	egress     = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	endpoint   = "aws:ec2/vpcEndpoint:VpcEndpoint"
)

// The per-stack expectations of these tests come from each stack's
// settings as the CLI hands them to the program (stacktest.Setting), never
// from the stack's name, so a stack a platform engineer adds is checked
// against its own file.

// prefixSetting is a range setting of the stack ("bpa:vpcCidr").
func prefixSetting(t testing.TB, stack, key string) netip.Prefix {
	t.Helper()
	p, err := netip.ParsePrefix(stacktest.Setting(t, stack, key))
	if err != nil {
		t.Fatalf("stack %s: %s: %v", stack, key, err)
	}
	return p
}

func subnetsOfTier(rec *harness.Recording, tier string) []*harness.Resource {
	var out []*harness.Resource
	for _, s := range rec.OfType(subnetType) {
		if stacktest.Input(s, "tags.tier") == tier {
			out = append(out, s)
		}
	}
	return out
}

func TestEveryNetworkResourceIsParentedToTheComponent(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		stacktest.Component(t, rec, network.TypeToken, "network")
	})
}

func TestVpcHasDnsAndThePodRange(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		vpc := rec.Find(vpcType, "network-vpc")
		if vpc == nil {
			t.Fatal("no VPC")
		}
		vpcCidr, podCidr := stacktest.Setting(t, stack, "bpa:vpcCidr"), stacktest.Setting(t, stack, "bpa:podCidr")
		for path, want := range map[string]any{"cidrBlock": vpcCidr, "enableDnsSupport": true, "enableDnsHostnames": true} {
			if got := stacktest.Input(vpc, path); got != want {
				t.Errorf("vpc %s = %v, want %v", path, got, want)
			}
		}
		assoc := rec.Find("aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation", "network-pod-range")
		if assoc == nil || stacktest.Input(assoc, "cidrBlock") != podCidr {
			t.Fatalf("pod range %s is not associated with the VPC", podCidr)
		}
		// Pod subnets cannot be created before their range is attached.
		for _, s := range subnetsOfTier(rec, "pod") {
			if !rec.DependsOn(s, assoc) {
				t.Errorf("pod subnet %s does not wait for the pod range", s.Name)
			}
		}
	})
}

func TestEachTierHasOneSubnetPerDistinctZoneInsideItsRange(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		vpcCidr, podCidr := prefixSetting(t, stack, "bpa:vpcCidr"), prefixSetting(t, stack, "bpa:podCidr")
		ranges := map[string]netip.Prefix{"public": vpcCidr, "private": vpcCidr, "data": vpcCidr, "pod": podCidr}
		zones := stacktest.Zones(t, stack)
		var all []netip.Prefix
		for tier, within := range ranges {
			subnets := subnetsOfTier(rec, tier)
			var got []string
			for _, s := range subnets {
				got = append(got, stacktest.Input(s, "availabilityZone").(string))
				p := netip.MustParsePrefix(stacktest.Input(s, "cidrBlock").(string))
				if !within.Contains(p.Addr()) || p.Bits() < within.Bits() {
					t.Errorf("%s subnet %s is outside %s", tier, p, within)
				}
				if stacktest.Input(s, "mapPublicIpOnLaunch") != false {
					t.Errorf("%s subnet %s hands out public addresses", tier, s.Name)
				}
				all = append(all, p)
			}
			if !slices.Equal(got, zones) {
				t.Errorf("%s subnets are in zones %v, want one in each of %v", tier, got, zones)
			}
		}
		for i, a := range all {
			for _, b := range all[i+1:] {
				if a.Overlaps(b) {
					t.Errorf("subnets %s and %s overlap", a, b)
				}
			}
		}
	})
}

func TestSubnetsAreTaggedForKubernetesLoadBalancers(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		clusterTag := "kubernetes.io/cluster/" + stacktest.NamePrefix(t, stack)
		for tier, role := range map[string]string{"public": "kubernetes.io/role/elb", "private": "kubernetes.io/role/internal-elb"} {
			for _, s := range subnetsOfTier(rec, tier) {
				tags := stacktest.Input(s, "tags").(map[string]any)
				if tags[role] != "1" || tags[clusterTag] != "shared" {
					t.Errorf("%s subnet %s tags %v lack %s=1 and %s=shared", tier, s.Name, tags, role, clusterTag)
				}
			}
		}
	})
}

func TestNatGatewaysPerStack(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		zones := stacktest.Zones(t, stack)
		var want int
		mode := stacktest.Setting(t, stack, "bpa:natGateways")
		switch mode {
		case "perAz":
			want = len(zones)
		case "single":
			want = 1
		default:
			t.Fatalf("bpa:natGateways %q is neither perAz nor single", mode)
		}
		nats := rec.OfType(natType)
		if len(nats) != want {
			t.Fatalf("%d NAT gateways with bpa:natGateways %s, want %d", len(nats), mode, want)
		}
		// Each zone's private route goes through a NAT gateway; per zone
		// with perAz, so a zone outage leaves the others their way out.
		used := map[string]bool{}
		for _, az := range zones {
			route := rec.Find(routeType, "network-private-default-"+az)
			if route == nil || stacktest.Input(route, "destinationCidrBlock") != "0.0.0.0/0" {
				t.Fatalf("no default route for private zone %s", az)
			}
			deps := route.PropertyDependencies["natGatewayId"]
			if len(deps) != 1 || rec.ByURN(deps[0]).Type != natType {
				t.Fatalf("private default route of %s does not go to a NAT gateway: %v", az, deps)
			}
			used[deps[0]] = true
			if mode == "perAz" && rec.ByURN(deps[0]).Name != "network-nat-"+az {
				t.Errorf("zone %s routes through %s, not its own NAT gateway", az, rec.ByURN(deps[0]).Name)
			}
		}
		if len(used) != want {
			t.Errorf("private routes use %d NAT gateways, want %d", len(used), want)
		}
	})
}

func TestPublicSubnetsRouteToTheInternetAndDataSubnetsNowhere(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		public := rec.Find(routeType, "network-public-default")
		if public == nil || len(public.PropertyDependencies["gatewayId"]) != 1 ||
			rec.ByURN(public.PropertyDependencies["gatewayId"][0]).Type != "aws:ec2/internetGateway:InternetGateway" {
			t.Fatal("public subnets have no default route to the internet gateway")
		}
		dataTable := rec.Find("aws:ec2/routeTable:RouteTable", "network-rt-data")
		if dataTable == nil {
			t.Fatal("no data route table")
		}
		for _, r := range rec.OfType(routeType) {
			if slices.Contains(r.PropertyDependencies["routeTableId"], dataTable.URN) {
				t.Errorf("data route table has route %s; data subnets must have no way out", r.Name)
			}
		}
		for _, s := range subnetsOfTier(rec, "data") {
			assoc := 0
			for _, a := range rec.OfType(rtaType) {
				if slices.Contains(a.PropertyDependencies["subnetId"], s.URN) {
					assoc++
					if !slices.Contains(a.PropertyDependencies["routeTableId"], dataTable.URN) {
						t.Errorf("data subnet %s is associated with another route table", s.Name)
					}
				}
			}
			if assoc != 1 {
				t.Errorf("data subnet %s has %d route table associations, want 1", s.Name, assoc)
			}
		}
	})
}

func TestFlowLogsGoToAnEncryptedLogGroupKeptPerStack(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		retention := float64(stacktest.SettingInt(t, stack, "bpa:flowLogRetentionDays"))
		fl := rec.Find("aws:ec2/flowLog:FlowLog", "network-flow-log")
		group := rec.Find("aws:cloudwatch/logGroup:LogGroup", "network-flow-logs")
		key := rec.Find("aws:kms/key:Key", "network-logs-key")
		if fl == nil || group == nil || key == nil {
			t.Fatal("flow log, its log group or the logs key is missing")
		}
		if stacktest.Input(fl, "trafficType") != "ALL" || stacktest.Input(fl, "logDestinationType") != "cloud-watch-logs" {
			t.Errorf("flow log does not record all traffic to CloudWatch: %v", fl.Plain())
		}
		if !slices.Contains(fl.PropertyDependencies["logDestination"], group.URN) {
			t.Error("flow log does not write to the flow log group")
		}
		if got := stacktest.Input(group, "retentionInDays"); got != retention {
			t.Errorf("log retention %v, want %v", got, retention)
		}
		if !slices.Contains(group.PropertyDependencies["kmsKeyId"], key.URN) {
			t.Error("flow log group is not encrypted with the logs key")
		}
		if stacktest.Input(key, "enableKeyRotation") != true {
			t.Error("logs key rotation is off")
		}
	})
}

func TestFlowLogPolicyIsScopedToItsLogGroup(t *testing.T) {
	t.Parallel()
	rec := stacktest.Resolved(t, stacktest.Live)
	policy := stacktest.Input(rec.Find("aws:iam/rolePolicy:RolePolicy", "network-flow-logs"), "policy").(string)
	if strings.Contains(policy, `"Resource":"*"`) || strings.Contains(policy, `"*"]`) {
		t.Errorf("flow log policy grants on every resource: %s", policy)
	}
	if !strings.Contains(policy, "network-flow-logs") {
		t.Errorf("flow log policy does not name the flow log group: %s", policy)
	}
	trust := stacktest.Input(rec.Find("aws:iam/role:Role", "network-flow-logs"), "assumeRolePolicy").(string)
	if !strings.Contains(trust, "vpc-flow-logs.amazonaws.com") || !strings.Contains(trust, harness.MockAccountID) {
		t.Errorf("flow log role trust is not limited to VPC Flow Logs for this account: %s", trust)
	}
}

func TestEndpointsPerStack(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		var gateway, iface []string
		for _, e := range rec.OfType(endpoint) {
			if !strings.HasPrefix(e.Name, "network-endpoint-") {
				continue // other components' endpoints (Atlas PrivateLink)
			}
			svc := stacktest.Input(e, "serviceName").(string)
			region := "com.amazonaws." + stacktest.Setting(t, stack, "bpa:region") + "."
			if !strings.HasPrefix(svc, region) {
				t.Errorf("endpoint %s is not of the stack's region", svc)
			}
			svc = strings.TrimPrefix(svc, region)
			switch stacktest.Input(e, "vpcEndpointType") {
			case "Gateway":
				gateway = append(gateway, svc)
			case "Interface":
				iface = append(iface, svc)
				if stacktest.Input(e, "privateDnsEnabled") != true {
					t.Errorf("%s endpoint has no private DNS: nodes would not use it", svc)
				}
			}
		}
		if !slices.Equal(gateway, []string{"s3"}) {
			t.Errorf("gateway endpoints %v, want [s3]", gateway)
		}
		// bpa:interfaceEndpoints turns the interface endpoints on or off
		// together; the S3 gateway endpoint is always there.
		want := []string{}
		if stacktest.SettingBool(t, stack, "bpa:interfaceEndpoints") {
			want = []string{"ec2", "ec2messages", "ecr.api", "ecr.dkr", "logs", "ssm", "ssmmessages", "sts"}
		}
		sort.Strings(iface)
		if !slices.Equal(iface, want) && !(len(iface) == 0 && len(want) == 0) {
			t.Errorf("interface endpoints %v, want %v", iface, want)
		}
	})
}

func TestBastionIsReachableOnlyThroughSessionManager(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		vpcCidr := prefixSetting(t, stack, "bpa:vpcCidr")
		sg := rec.Find("aws:ec2/securityGroup:SecurityGroup", "network-bastion")
		vm := rec.Find("aws:ec2/instance:Instance", "network-bastion")
		if sg == nil || vm == nil {
			t.Fatal("bastion or its security group missing")
		}
		if stacktest.Input(sg, "ingress") != nil {
			t.Error("bastion security group has inline ingress")
		}
		for _, r := range rec.OfType(ingress) {
			if slices.Contains(r.PropertyDependencies["securityGroupId"], sg.URN) {
				t.Errorf("bastion admits inbound traffic through %s", r.Name)
			}
		}
		for _, r := range rec.OfType(egress) {
			if !slices.Contains(r.PropertyDependencies["securityGroupId"], sg.URN) {
				continue
			}
			port := stacktest.Input(r, "fromPort")
			if (port != 443.0 && port != 5432.0) || stacktest.Input(r, "toPort") != port {
				t.Errorf("bastion egress %s opens %v-%v", r.Name, port, stacktest.Input(r, "toPort"))
			}
			if port == 5432.0 {
				to, err := netip.ParsePrefix(stacktest.Input(r, "cidrIpv4").(string))
				if err != nil || !vpcCidr.Contains(to.Addr()) || to.Bits() < vpcCidr.Bits() {
					t.Errorf("bastion may reach PostgreSQL outside the VPC %s: %v", vpcCidr, r.Plain())
				}
			}
		}
		checks := map[string]any{
			"associatePublicIpAddress":                false,
			"metadataOptions.httpTokens":              "required",
			"metadataOptions.httpPutResponseHopLimit": 1.0,
			"rootBlockDevice.encrypted":               true,
			"rootBlockDevice.volumeType":              "gp3",
		}
		for path, want := range checks {
			if got := stacktest.Input(vm, path); got != want {
				t.Errorf("bastion %s = %v, want %v", path, got, want)
			}
		}
		if stacktest.Input(vm, "keyName") != nil {
			t.Error("bastion has an SSH key pair")
		}
		if !slices.Contains(vm.IgnoreChanges, "ami") {
			t.Error("a new AMI release would replace the bastion")
		}
		attach := rec.Find("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "network-bastion-ssm")
		if attach == nil || stacktest.Input(attach, "policyArn") != "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" {
			t.Error("bastion role cannot register with Session Manager")
		}
	})
}

func TestDefaultSecurityGroupIsLocked(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		sg := rec.Find("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "network-default-sg")
		if sg == nil {
			t.Fatal("default security group is not managed")
		}
		if stacktest.Input(sg, "ingress") != nil || stacktest.Input(sg, "egress") != nil {
			t.Errorf("default security group keeps rules: %v", sg.Plain())
		}
	})
}

func TestInvalidArgsRegisterNothing(t *testing.T) {
	t.Parallel()
	rec, err := stacktest.Run(t, stacktest.Live, func(cfg map[string]string) {
		cfg["bpa:podCidr"] = "10.0.0.0/16"
	})
	if err == nil || !strings.Contains(err.Error(), "bpa:podCidr") {
		t.Fatalf("want an error naming bpa:podCidr, got %v", err)
	}
	if len(rec.Resources) != 0 {
		t.Errorf("%d resources registered despite invalid config", len(rec.Resources))
	}
}

// Logical names are part of each resource's URN: renaming one replaces it.
func TestNetworkLogicalNamesAreStable(t *testing.T) {
	t.Parallel()
	stacktest.ExpectLogicalNames(t, stacktest.Preview(t, stacktest.Live), "network", func(n string) bool { return strings.HasPrefix(n, "network") }, networkNames)
}

// baseArgs are valid arguments for the network on its own: a /16 with /24
// tiers and a /16 pod range, three zones.
func baseArgs() *network.Args {
	p := netip.MustParsePrefix
	return &network.Args{
		Stack:       stacktest.UnitStack(),
		ClusterName: "unit-test",
		Settings: network.Settings{
			AvailabilityZones: []string{"us-west-2a", "us-west-2b", "us-west-2c"},
			VpcCidr:           p("10.0.0.0/16"),
			PodCidr:           p("100.64.0.0/16"),
			Subnets: network.SubnetLayout{
				Public:  []netip.Prefix{p("10.0.0.0/24"), p("10.0.1.0/24"), p("10.0.2.0/24")},
				Private: []netip.Prefix{p("10.0.8.0/24"), p("10.0.9.0/24"), p("10.0.10.0/24")},
				Data:    []netip.Prefix{p("10.0.16.0/24"), p("10.0.17.0/24"), p("10.0.18.0/24")},
				Pod:     []netip.Prefix{p("100.64.0.0/18"), p("100.64.64.0/18"), p("100.64.128.0/18")},
			},
			NatGateways:          network.NatSingle,
			FlowLogRetentionDays: 30,
			BastionInstanceType:  "t3.micro",
		},
	}
}

func runUnit(args *network.Args) (*harness.Recording, error) {
	return harness.Run(func(ctx *pulumi.Context) error {
		_, err := network.New(ctx, "network", args)
		return err
	}, harness.Options{Stack: "unit"})
}

// The component's own checks: every problem at once, nothing registered.
func TestComponentArgsAreCheckedBeforeAnythingIsRegistered(t *testing.T) {
	t.Parallel()
	base := stacktest.ExpectRefused(t, baseArgs, runUnit, map[string]stacktest.Refusal[*network.Args]{
		"nil args":              {Says: []string{"args are required"}},
		"no stack":              {Change: func(a *network.Args) { a.Stack = component.Stack{} }, Says: []string{"NamePrefix is required", "Region is required", "Account id is required"}},
		"two zones":             {Change: func(a *network.Args) { a.AvailabilityZones = a.AvailabilityZones[:2] }, Says: []string{"want 3 zones, got 2"}},
		"pod subnet in the vpc": {Change: func(a *network.Args) { a.Subnets.Pod[0] = netip.MustParsePrefix("10.0.64.0/18") }, Says: []string{"Subnets.Pod: 10.0.64.0/18 is outside 100.64.0.0/16"}},
		"missing data subnet":   {Change: func(a *network.Args) { a.Subnets.Data = a.Subnets.Data[:2] }, Says: []string{"Subnets.Data: want one per zone (3), got 2"}},
		"no flow log retention": {Change: func(a *network.Args) { a.FlowLogRetentionDays = 0; a.BastionInstanceType = "" }, Says: []string{"FlowLogRetentionDays", "BastionInstanceType"}},
	})
	if base.Find(vpcType, "network-vpc") == nil {
		t.Error("base args built no VPC")
	}
}
