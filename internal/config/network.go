package config

import (
	"net/netip"
	"regexp"
	"slices"

	"github.com/bpa-infra/bpa-infra/internal/cidr"
	"github.com/bpa-infra/bpa-infra/network"
)

// CloudWatch Logs accepts only these retention periods.
var logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// The secondary range must come from the carrier-grade NAT block: AWS refuses
// most other ranges as a secondary CIDR next to an RFC 1918 primary.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

type subnetSizes struct{ public, private, data, pod int }

func readNetwork(r *reader) network.Settings {
	n := network.Settings{
		AvailabilityZones:    r.strings("availabilityZones", true),
		VpcCidr:              r.prefix("vpcCidr"),
		PodCidr:              r.prefix("podCidr"),
		NatGateways:          network.NatMode(r.string("natGateways")),
		FlowLogRetentionDays: r.int("flowLogRetentionDays"),
		InterfaceEndpoints:   r.bool("interfaceEndpoints"),
		BastionInstanceType:  r.string("bastionInstanceType"),
	}
	sizes := subnetSizes{
		public:  r.int("publicSubnetPrefix"),
		private: r.int("privateSubnetPrefix"),
		data:    r.int("dataSubnetPrefix"),
		pod:     r.int("podSubnetPrefix"),
	}
	n.Subnets = layoutSubnets(r, n.VpcCidr, n.PodCidr, sizes)
	return n
}

func (r *reader) prefix(key string) netip.Prefix {
	v := r.string(key)
	p, err := netip.ParsePrefix(v)
	if err != nil || !p.Addr().Is4() {
		r.fail(key, "%q is not an IPv4 CIDR block", v)
		return netip.Prefix{}
	}
	if p != p.Masked() {
		r.fail(key, "%q has host bits set; did you mean %q?", v, p.Masked())
		return netip.Prefix{}
	}
	if p.Bits() < 16 || p.Bits() > 28 {
		r.fail(key, "%q must be between /16 and /28, the sizes a VPC range may have", v)
		return netip.Prefix{}
	}
	return p
}

// layoutSubnets carves each tier's three subnets out of its range in a fixed
// order (private, public, data in the VPC range; pods in the pod range), so
// the same settings always give the same subnets.
func layoutSubnets(r *reader, vpc, pod netip.Prefix, sizes subnetSizes) network.SubnetLayout {
	var l network.SubnetLayout
	valid := true
	for key, bits := range map[string]int{
		"publicSubnetPrefix": sizes.public, "privateSubnetPrefix": sizes.private,
		"dataSubnetPrefix": sizes.data, "podSubnetPrefix": sizes.pod,
	} {
		if bits < 16 || bits > 28 {
			r.fail(key, "/%d is not a subnet size AWS allows (/16 to /28)", bits)
			valid = false
		}
	}
	if !valid || !vpc.IsValid() || !pod.IsValid() {
		return l
	}
	const zones = 3
	vpcTiers, err := cidr.Carve(vpc, []int{sizes.private, sizes.public, sizes.data}, zones)
	if err != nil {
		r.fail("vpcCidr", "%s cannot hold three /%d private, three /%d public and three /%d data subnets: %v",
			vpc, sizes.private, sizes.public, sizes.data, err)
	} else {
		l.Private, l.Public, l.Data = vpcTiers[0], vpcTiers[1], vpcTiers[2]
	}
	podTiers, err := cidr.Carve(pod, []int{sizes.pod}, zones)
	if err != nil {
		r.fail("podCidr", "%s cannot hold three /%d pod subnets: %v", pod, sizes.pod, err)
	} else {
		l.Pod = podTiers[0]
	}
	return l
}

func validateNetwork(r *reader, cfg *Config) {
	n := cfg.Network
	if n.VpcCidr.IsValid() && n.PodCidr.IsValid() && n.VpcCidr.Overlaps(n.PodCidr) {
		r.fail("podCidr", "%s overlaps vpcCidr %s", n.PodCidr, n.VpcCidr)
	}
	if n.PodCidr.IsValid() && !(sharedAddressSpace.Contains(n.PodCidr.Addr()) && n.PodCidr.Bits() >= sharedAddressSpace.Bits()) {
		r.fail("podCidr", "%s must lie inside %s, the range AWS accepts as a secondary CIDR for pods", n.PodCidr, sharedAddressSpace)
	}
	if n.VpcCidr.IsValid() && !n.VpcCidr.Addr().IsPrivate() {
		r.fail("vpcCidr", "%s is not a private (RFC 1918) range", n.VpcCidr)
	}
	if n.NatGateways != network.NatPerAz && n.NatGateways != network.NatSingle {
		r.fail("natGateways", "%q must be %q or %q", n.NatGateways, network.NatPerAz, network.NatSingle)
	}
	if !slices.Contains(logRetentionDays, n.FlowLogRetentionDays) {
		r.fail("flowLogRetentionDays", "%d is not a CloudWatch Logs retention period (one of %v)", n.FlowLogRetentionDays, logRetentionDays)
	}
	if !instanceTypePattern.MatchString(n.BastionInstanceType) {
		r.fail("bastionInstanceType", "%q is not an EC2 instance type such as t3.micro (<family>.<size>)", n.BastionInstanceType)
	}
}

// instanceTypePattern is EC2's <family><generation><attributes>.<size>
// (t3.micro, m7i-flex.large, u-6tb1.metal).
var instanceTypePattern = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)?\.[a-z0-9]+$`)
