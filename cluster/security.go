package cluster

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// rule is one security group rule: from/to another group (peer) or a range
// (cidr); protocol "-1" is all traffic.
type rule struct {
	label    string
	why      string
	protocol string
	from, to int
	peer     pulumi.StringInput
	cidr     string
}

func tcp(from, to int) rule { return rule{protocol: "tcp", from: from, to: to} }

var allTraffic = rule{protocol: "-1"}

func (r rule) named(label, why string) rule         { r.label, r.why = label, why; return r }
func (r rule) fromGroup(sg *ec2.SecurityGroup) rule { r.peer = sg.ID().ToStringOutput(); return r }
func (r rule) fromID(id pulumi.StringInput) rule    { r.peer = id; return r }
func (r rule) fromCidr(c string) rule               { r.cidr = c; return r }

// args are the inputs of r as a rule of sg. Ingress and egress rules take the
// same fields, so the egress side converts the result.
func (r rule) args(sg *ec2.SecurityGroup) vpc.SecurityGroupIngressRuleArgs {
	args := vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId: sg.ID(),
		Description:     pulumi.String(r.why),
		IpProtocol:      pulumi.String(r.protocol),
	}
	if r.protocol != "-1" {
		args.FromPort, args.ToPort = pulumi.Int(r.from), pulumi.Int(r.to)
	}
	if r.cidr != "" {
		args.CidrIpv4 = pulumi.String(r.cidr)
	} else {
		args.ReferencedSecurityGroupId = r.peer
	}
	return args
}

// securityGroups creates the groups of the cluster's tiers and their rules.
// They are plain EC2 resources so that whoever admits the nodes or pods (the
// databases) does not wait for the control plane.
func (b *builder) securityGroups() error {
	var err error
	mk := func(suffix, desc string) (*ec2.SecurityGroup, error) {
		sg, err := ec2.NewSecurityGroup(b.ctx, b.name+"-"+suffix, &ec2.SecurityGroupArgs{
			VpcId:       b.args.VpcId,
			Description: pulumi.String(desc),
			Tags:        b.tags(suffix),
		}, b.parent)
		if err != nil {
			return nil, fmt.Errorf("create %s security group: %w", suffix, err)
		}
		return sg, nil
	}
	if b.controlPlaneSG, err = mk("control-plane", "EKS control plane: API from nodes, pods and the bastion"); err != nil {
		return err
	}
	if b.nodeSG, err = mk("nodes", "EKS nodes: load balancer to the BPA ports, cluster-internal traffic"); err != nil {
		return err
	}
	if b.podSG, err = mk("pods", "Pods (VPC CNI custom networking): cluster-internal traffic"); err != nil {
		return err
	}
	if b.albSG, err = mk("alb", "BPA load balancer: listeners from the configured ranges, out to the nodes' BPA ports"); err != nil {
		return err
	}

	vpcCidr, podCidr := b.args.VpcCidr, b.args.PodCidr
	ingress := map[*ec2.SecurityGroup][]rule{
		b.controlPlaneSG: {
			tcp(443, 443).fromGroup(b.nodeSG).named("api-from-nodes", "Kubernetes API from kubelets"),
			tcp(443, 443).fromGroup(b.podSG).named("api-from-pods", "Kubernetes API from pods"),
			tcp(443, 443).fromID(b.args.BastionSecurityGroupId).named("api-from-bastion", "Kubernetes API from administrators on the bastion"),
		},
		b.nodeSG: {
			allTraffic.fromGroup(b.nodeSG).named("from-nodes", "node to node"),
			allTraffic.fromGroup(b.podSG).named("from-pods", "pods to host-network services (DNS, metrics, NodePorts)"),
			tcp(10250, 10250).fromGroup(b.controlPlaneSG).named("kubelet-from-control-plane", "kubelet API (logs, exec) from the control plane"),
		},
		b.podSG: {
			allTraffic.fromGroup(b.podSG).named("from-pods", "pod to pod"),
			allTraffic.fromGroup(b.nodeSG).named("from-nodes", "kubelet probes and NodePort traffic forwarded by the nodes"),
			tcp(443, 443).fromGroup(b.controlPlaneSG).named("webhooks-443-from-control-plane", "admission webhooks from the control plane"),
			tcp(1025, 65535).fromGroup(b.controlPlaneSG).named("webhooks-from-control-plane", "webhooks and aggregated APIs on high ports"),
		},
	}
	// Where `pulumi up` runs inside the VPC: the private endpoint is the
	// only one it may use when publicAccessCidrs is empty.
	for _, c := range b.args.Deployer.Cidrs {
		ingress[b.controlPlaneSG] = append(ingress[b.controlPlaneSG],
			tcp(443, 443).fromCidr(c).named("api-from-deployer-"+cidrLabel(c), "Kubernetes API from the deployer at "+c))
	}
	if id := b.args.Deployer.SecurityGroupId; id != "" {
		ingress[b.controlPlaneSG] = append(ingress[b.controlPlaneSG],
			tcp(443, 443).fromID(pulumi.String(id)).named("api-from-deployer", "Kubernetes API from the deployer's security group"))
	}
	targets := targetPorts(b.args.LoadBalancer.Listeners)
	for _, port := range targets {
		p := strconv.Itoa(port)
		ingress[b.nodeSG] = append(ingress[b.nodeSG],
			tcp(port, port).fromGroup(b.albSG).named("bpa-"+p+"-from-alb", "BPA port "+p+" from the load balancer only"))
	}
	for _, l := range b.args.LoadBalancer.Listeners {
		for _, c := range b.args.LoadBalancer.IngressCidrs {
			lp := strconv.Itoa(l.Port)
			ingress[b.albSG] = append(ingress[b.albSG],
				tcp(l.Port, l.Port).fromCidr(c).named(lp+"-from-"+cidrLabel(c), "listener "+lp+" from "+c))
		}
	}
	egress := map[*ec2.SecurityGroup][]rule{
		b.controlPlaneSG: {
			tcp(10250, 10250).fromGroup(b.nodeSG).named("kubelet", "kubelet API on the nodes"),
			tcp(443, 443).fromGroup(b.podSG).named("webhooks-443", "admission webhooks in pods"),
			tcp(1025, 65535).fromGroup(b.podSG).named("webhooks", "webhooks and aggregated APIs in pods"),
		},
		b.nodeSG: {
			allTraffic.fromCidr(vpcCidr).named("vpc", "control plane, other nodes, DNS and data tiers in the VPC"),
			allTraffic.fromCidr(podCidr).named("pods", "pods on any node"),
			tcp(443, 443).fromCidr("0.0.0.0/0").named("https", "AWS APIs, ECR and image layers through the NAT gateway"),
		},
		b.podSG: {
			allTraffic.fromCidr(vpcCidr).named("vpc", "API server, nodes, RDS and the Atlas endpoint in the VPC"),
			allTraffic.fromCidr(podCidr).named("pods", "other pods"),
			tcp(443, 443).fromCidr("0.0.0.0/0").named("https", "HTTPS out: AWS APIs through IRSA (STS, EBS), whatever podEgressCidrs says"),
		},
	}
	// BPA reaches network devices and controllers on any port (SSH,
	// NETCONF, vendor APIs): outside the VPC, pods go where config says,
	// the guide's everywhere by default.
	for _, c := range b.args.PodEgressCidrs {
		egress[b.podSG] = append(egress[b.podSG], allTraffic.fromCidr(c).named("out-"+cidrLabel(c), "BPA to managed networks and external services ("+c+")"))
	}
	for _, port := range targets {
		p := strconv.Itoa(port)
		egress[b.albSG] = append(egress[b.albSG], tcp(port, port).fromGroup(b.nodeSG).named("bpa-"+p, "BPA port "+p+" on the nodes"))
	}

	labels := map[*ec2.SecurityGroup]string{b.controlPlaneSG: "control-plane", b.nodeSG: "nodes", b.podSG: "pods", b.albSG: "alb"}
	for _, sg := range []*ec2.SecurityGroup{b.controlPlaneSG, b.nodeSG, b.podSG, b.albSG} {
		for _, r := range ingress[sg] {
			args := r.args(sg)
			if _, err := vpc.NewSecurityGroupIngressRule(b.ctx, b.name+"-"+labels[sg]+"-"+r.label, &args, b.parent); err != nil {
				return fmt.Errorf("%s ingress %s: %w", labels[sg], r.label, err)
			}
		}
		for _, r := range egress[sg] {
			args := vpc.SecurityGroupEgressRuleArgs(r.args(sg))
			if _, err := vpc.NewSecurityGroupEgressRule(b.ctx, b.name+"-"+labels[sg]+"-to-"+r.label, &args, b.parent); err != nil {
				return fmt.Errorf("%s egress %s: %w", labels[sg], r.label, err)
			}
		}
	}
	return nil
}

// cidrLabel makes a range part of a logical name ("203-0-113-0-24"), so a
// rule keeps its name when the list is reordered.
func cidrLabel(c string) string { return strings.NewReplacer(".", "-", "/", "-").Replace(c) }

// targetPorts are the node ports the listeners forward to, each once, in
// order: two listeners may share one.
func targetPorts(ls []Listener) []int {
	var ports []int
	for _, l := range ls {
		if !slices.Contains(ports, l.TargetPort) {
			ports = append(ports, l.TargetPort)
		}
	}
	slices.Sort(ports)
	return ports
}
