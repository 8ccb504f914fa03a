// Package deploytime estimates how long a first `pulumi up` of a recorded
// program takes: every registered resource gets a typical create duration
// from one table (Durations), the engine's wait-for graph is rebuilt from the
// recording (Build), and the longest chain through it is the critical path
// (Analyze). The figures are typical, not guaranteed: they come from AWS,
// MongoDB and Pulumi documentation and from create times quoted in public
// Terraform and Pulumi issue threads, each cited next to its figure.
package deploytime

import (
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/bpa-infra/bpa-infra/internal/harness"
)

// nodeGroupType is the type whose updates roll nodes.
const nodeGroupType = "aws:eks/nodeGroup:NodeGroup"

// NodeUpdateSeconds is a typical update of a one-node managed node group to
// a new launch template version: EKS starts the new node first (as long as
// a create, 240 s), then cordons, drains and terminates the old one (pod
// grace periods and the 60 s target deregistration delay, then about two
// minutes for the instance to terminate and release its data volume), and
// the new node attaches, mounts and labels itself before the chart's pods
// return (about a minute): ten minutes ("Managed node update behavior" in
// the EKS user guide gives the phases, not their durations).
const NodeUpdateSeconds = 600

// DefaultSeconds is the create time assumed for a custom resource type the
// table does not list: most plain API objects take a few seconds. Unmodelled
// lists the types that fell back to it, so that an expensive new type is
// noticed instead of silently costing 5 s.
const DefaultSeconds = 5

// Estimate is the typical create duration of one resource type.
type Estimate struct {
	// Type is a type token ("aws:ec2/vpc:Vpc") or, ending in "*", a prefix
	// ("kubernetes:*"). An exact token wins over a prefix; the longest
	// prefix wins over shorter ones.
	Type string
	// Seconds is the typical create time.
	Seconds int
	// Why is the source or the reasoning for the figure.
	Why string
	// Refine, when set, adjusts the figure from the resource's inputs (RDS
	// Multi-AZ, VPC endpoint type) and says why.
	Refine func(r *harness.Resource) (seconds int, why string)
}

// Durations is the one table of typical create durations.
var Durations = []Estimate{
	// Not cloud objects: nothing to wait for.
	{Type: "pulumi:providers:*", Seconds: 0, Why: "provider configuration is local; it waits only for its inputs (the kubernetes provider for the cluster's kubeconfig)"},
	{Type: "random:*", Seconds: 0, Why: "pulumi-random generates values locally"},

	// EKS
	{Type: "eks:index:Cluster", Seconds: 660, Why: "pulumi-eks remote component, its children invisible to the mock: the EKS control plane " +
		"(~9-11 min: AWS 'control plane in 9 minutes or less, on average', aws/containers-roadmap#1227; Terraform logs " +
		"'aws_eks_cluster ... Creation complete after' 8m23s-11m23s in public EKS walkthroughs) taken as 600 s, plus ~60 s for what " +
		"the component adds after it (OIDC provider, access entries, security group rules, kubeconfig and its kubernetes provider)"},
	{Type: "aws:eks/cluster:Cluster", Seconds: 600, Why: "bare EKS control plane, ~10 min (see eks:index:Cluster); Terraform's create timeout was raised to 30 min for it (hashicorp/terraform-provider-aws#8909)"},
	{Type: "aws:eks/nodeGroup:NodeGroup", Seconds: 240, Why: "managed node group: instances launch, bootstrap (nodeadm) and turn Ready; quoted " +
		"1m50s-3m41s in Terraform logs (umotif-public/terraform-aws-eks-node-group#7: 2m50s; eksctl#482: 3m36s), 3-5 min usual: 4 min"},
	{Type: "aws:ebs/volume:Volume", Seconds: 10, Why: "gp3 volume until 'available'; Terraform logs quote 10-12 s for aws_ebs_volume"},
	{Type: "aws:eks/addon:Addon", Seconds: 45, Why: "EKS add-on until ACTIVE: Terraform logs quote vpc-cni/kube-proxy 24s-1m6s, ebs-csi 45s; " +
		"coredns only turns ACTIVE once nodes run it, which is why it is created after the node groups here (pulumi/pulumi-eks#1819)"},

	// Network
	{Type: "aws:ec2/vpc:Vpc", Seconds: 10, Why: "Terraform logs quote 1-15 s (create, wait for available, set DNS attributes)"},
	{Type: "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation", Seconds: 10, Why: "waits until the secondary CIDR is 'associated'; seconds"},
	{Type: "aws:ec2/subnet:Subnet", Seconds: 5, Why: "Terraform logs quote 2-7 s"},
	{Type: "aws:ec2/internetGateway:InternetGateway", Seconds: 5, Why: "create and attach to the VPC; seconds"},
	{Type: "aws:ec2/eip:Eip", Seconds: 2, Why: "address allocation; Terraform logs quote 1-2 s"},
	{Type: "aws:ec2/natGateway:NatGateway", Seconds: 90, Why: "waits until 'available': 1-2 min (Terraform log 'aws_nat_gateway ... Creation complete after 1m34s'; kops#944 waits for it)"},
	{Type: "aws:ec2/routeTable:RouteTable", Seconds: 3, Why: "API object; seconds"},
	{Type: "aws:ec2/route:Route", Seconds: 2, Why: "API object; seconds"},
	{Type: "aws:ec2/routeTableAssociation:RouteTableAssociation", Seconds: 2, Why: "API object; Terraform logs quote 1 s"},
	{Type: "aws:ec2/securityGroup:SecurityGroup", Seconds: 4, Why: "create plus revoking the default egress rule; Terraform logs quote 2-4 s"},
	{Type: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", Seconds: 3, Why: "adopts and empties the VPC's default group; seconds"},
	{Type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", Seconds: 2, Why: "one rule API call; Terraform logs quote 2-8 s for aws_security_group_rule"},
	{Type: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", Seconds: 2, Why: "one rule API call (see ingress rule)"},
	{Type: "aws:ec2/vpcEndpoint:VpcEndpoint", Seconds: 120, Why: "interface endpoint: ENIs per subnet until 'available', ~2 min; a gateway endpoint (S3) is a route-table entry, seconds",
		Refine: func(r *harness.Resource) (int, string) {
			if strings.EqualFold(inputString(r, "vpcEndpointType"), "Gateway") {
				return 10, "gateway endpoint: route-table entries only, seconds"
			}
			return 120, "interface endpoint: ENIs per subnet until 'available', ~2 min"
		}},
	{Type: "aws:ec2/flowLog:FlowLog", Seconds: 5, Why: "API object; seconds"},
	{Type: "aws:ec2/instance:Instance", Seconds: 30, Why: "bastion: waits until 'running' (not for status checks), typically 15-40 s"},
	{Type: "aws:ec2/launchTemplate:LaunchTemplate", Seconds: 3, Why: "API object; seconds"},

	// Load balancing
	{Type: "aws:lb/loadBalancer:LoadBalancer", Seconds: 150, Why: "ALB waits until 'active': 2-3 min (Terraform log 'aws_lb ... Creation complete after 2m19s', turbot/steampipe-plugin-aws#792)"},
	{Type: "aws:lb/targetGroup:TargetGroup", Seconds: 3, Why: "API object; seconds"},
	{Type: "aws:lb/listener:Listener", Seconds: 3, Why: "API object once the ALB exists; seconds"},
	{Type: "aws:autoscaling/attachment:Attachment", Seconds: 3, Why: "attaches an ASG to a target group; seconds"},
	{Type: "aws:wafv2/webAcl:WebAcl", Seconds: 5, Why: "CreateWebACL is one API call and the web ACL has no status to wait for " +
		"(the WAFv2 API has no creating state); managed rule groups are referenced by name, not copied: seconds"},
	{Type: "aws:wafv2/webAclAssociation:WebAclAssociation", Seconds: 30, Why: "AssociateWebACL answers WAFUnavailableEntityException until a web ACL or " +
		"load balancer created moments before has propagated, 'from a few seconds to a number of minutes' (AWS WAF API reference, " +
		"AssociateWebACL errors); the provider retries it for up to 10 min (web_acl_association.go); ~30 s assumed"},

	// IAM, KMS, logs, secrets, registry
	{Type: "aws:iam/role:Role", Seconds: 10, Why: "create in ~1 s plus the provider's wait for IAM's eventual consistency (propagation) before dependants use it"},
	{Type: "aws:iam/rolePolicy:RolePolicy", Seconds: 3, Why: "API object; seconds"},
	{Type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment", Seconds: 3, Why: "API object; Terraform logs quote 2-4 s"},
	{Type: "aws:iam/policy:Policy", Seconds: 3, Why: "API object; Terraform logs quote ~1 s"},
	{Type: "aws:iam/instanceProfile:InstanceProfile", Seconds: 10, Why: "create plus propagation wait before EC2 accepts it"},
	{Type: "aws:kms/key:Key", Seconds: 20, Why: "create plus the provider's wait for the key policy to propagate; Terraform logs quote 12-29 s for aws_kms_key"},
	{Type: "aws:kms/alias:Alias", Seconds: 2, Why: "API object; Terraform logs quote 0-1 s"},
	{Type: "aws:cloudwatch/logGroup:LogGroup", Seconds: 2, Why: "API object; seconds"},
	{Type: "aws:secretsmanager/secret:Secret", Seconds: 3, Why: "API object; seconds"},
	{Type: "aws:secretsmanager/secretVersion:SecretVersion", Seconds: 2, Why: "API object; seconds"},
	{Type: "aws:ecr/repository:Repository", Seconds: 3, Why: "API object; seconds"},
	{Type: "aws:ecr/lifecyclePolicy:LifecyclePolicy", Seconds: 2, Why: "API object; seconds"},
	{Type: "aws:s3/bucketV2:BucketV2", Seconds: 5, Why: "create plus the provider's wait until the bucket is visible; seconds"},
	{Type: "aws:s3/*", Seconds: 3, Why: "bucket settings (policy, encryption, public access block, ownership, lifecycle): one API call each"},

	// PostgreSQL on RDS
	{Type: "aws:rds/instance:Instance", Seconds: 420, Why: "single-AZ ~5-8 min (Terraform logs 5m57s, 6m8s, 7m59s); Multi-AZ ~15 min: the standby is built and the first " +
		"backup taken before 'available' (hashicorp/terraform#498: 5-10 min off, 15-20 min on; later logs 14m02s, 15m). " +
		"Storage type: no public figure shows io1/io2/gp3 changing create time, so it is not modelled",
		Refine: func(r *harness.Resource) (int, string) {
			if inputBool(r, "multiAz") {
				return 900, "Multi-AZ: standby in a second AZ plus first backup, ~15 min"
			}
			return 420, "single-AZ: ~7 min"
		}},
	{Type: "aws:rds/subnetGroup:SubnetGroup", Seconds: 3, Why: "API object; seconds"},
	{Type: "aws:rds/parameterGroup:ParameterGroup", Seconds: 5, Why: "create plus setting the parameters; seconds"},
	{Type: "postgresql:*", Seconds: 2, Why: "one SQL statement each (CREATE ROLE, CREATE DATABASE, GRANT) over the provider's connection"},

	// MongoDB Atlas
	{Type: "mongodbatlas:index/project:Project", Seconds: 5, Why: "Atlas API object; seconds"},
	{Type: "mongodbatlas:index/advancedCluster:AdvancedCluster", Seconds: 600, Why: "dedicated tier until IDLE: 'Flex or dedicated cluster creation can take up to 10 minutes' " +
		"(Atlas Kubernetes Operator docs, AtlasDeployment); 7-12 min usual: 10 min"},
	{Type: "mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint", Seconds: 240, Why: "Atlas builds a network load balancer and VPC endpoint service (INITIATING) before WAITING_FOR_USER; " +
		"several minutes (terraform-provider-mongodbatlas#481: 3-5 min to see the private endpoint)"},
	{Type: "mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService", Seconds: 240, Why: "waits until Atlas accepts the AWS interface endpoint (AVAILABLE); " +
		"the provider itself slept 5 min before polling until terraform-provider-mongodbatlas#2801 cut it to 1 min; several minutes"},
	{Type: "mongodbatlas:index/databaseUser:DatabaseUser", Seconds: 10, Why: "Atlas API object, applied to the cluster asynchronously; seconds"},

	// Kubernetes
	{Type: "kubernetes:helm.sh/v3:Release", Seconds: 600, Why: "the BPA chart installed with atomic wait: every Deployment and StatefulSet must be Ready " +
		"(image pulls from ECR, Kong migrations, Camunda and the Java services' readiness probes), typically ~10 min for a chart this size; " +
		"the release's timeout input (1800 s) is the give-up limit, not the typical time"},
	{Type: "kubernetes:*", Seconds: 2, Why: "one API server object (Namespace, Secret, ENIConfig); the provider's await for these kinds is immediate"},
}

// EstimateOf returns the typical create time of r, why, and whether the
// table models r's type (false: DefaultSeconds was assumed). Local
// components take no time of their own: they finish with their children.
func EstimateOf(r *harness.Resource) (seconds int, why string, modelled bool) {
	if !r.Custom && !r.Remote {
		return 0, "component: no cloud object of its own", true
	}
	e, ok := lookup(r.Type)
	if !ok {
		return DefaultSeconds, "not in the table: default", false
	}
	if e.Refine != nil {
		s, w := e.Refine(r)
		return s, w, true
	}
	return e.Seconds, e.Why, true
}

// Unmodelled returns, in order, the types of rec's custom resources and
// remote components that the table does not list.
func Unmodelled(rec *harness.Recording) []string {
	seen := map[string]bool{}
	for _, r := range rec.Resources {
		if _, _, ok := EstimateOf(r); !ok {
			seen[r.Type] = true
		}
	}
	return harness.SortedKeys(seen)
}

var (
	exact    map[string]*Estimate
	prefixes []*Estimate // longest first
)

func init() {
	exact = map[string]*Estimate{}
	for i := range Durations {
		e := &Durations[i]
		if strings.HasSuffix(e.Type, "*") {
			prefixes = append(prefixes, e)
			continue
		}
		exact[e.Type] = e
	}
	sort.SliceStable(prefixes, func(i, j int) bool { return len(prefixes[i].Type) > len(prefixes[j].Type) })
}

func lookup(typ string) (*Estimate, bool) {
	if e, ok := exact[typ]; ok {
		return e, true
	}
	for _, e := range prefixes {
		if strings.HasPrefix(typ, strings.TrimSuffix(e.Type, "*")) {
			return e, true
		}
	}
	return nil, false
}

func inputString(r *harness.Resource, key string) string {
	s, _ := harness.Plain(r.Inputs[resource.PropertyKey(key)]).(string)
	return s
}

func inputBool(r *harness.Resource, key string) bool {
	b, _ := harness.Plain(r.Inputs[resource.PropertyKey(key)]).(bool)
	return b
}
