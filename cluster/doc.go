// Package cluster builds the EKS cluster BPA runs on: the control plane, the
// four prepared BPA nodes, pod networking, IAM, add-ons and the Application
// Load Balancer in front of it. It replaces the guide's eksctl run, node
// labelling, per-node shell steps and load balancer set-up.
//
// It creates:
//   - an EKS control plane (pulumi-eks v2 eks.Cluster) in the private
//     subnets: no default node group, private endpoint on, public endpoint
//     only for the configured ranges (off when none), all five log types into
//     a log group created here first (KMS-encrypted with the network's logs
//     key, kept for the configured days; EKS would otherwise create it
//     unencrypted and never expiring), secrets envelope-encrypted with a
//     rotating KMS key owned here, an OIDC provider for IAM roles for service
//     accounts, and API authentication with access entries for admin roles;
//   - the security groups of its tiers as plain EC2 resources, so other
//     components (the databases admit the node group) never wait for the
//     control plane: the control plane's additional group (API from nodes,
//     pods and the bastion), the node group, the pod group used by every
//     ENIConfig, and the load balancer's group;
//   - VPC CNI custom networking: the vpc-cni add-on with
//     AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG and ENI_CONFIG_LABEL_DEF set through
//     its configuration values, and one ENIConfig per zone (pod subnet plus
//     pod security group, named after the zone), all in place before any
//     node group is created;
//   - the four BPA nodes of the guide, one EKS managed node group of exactly
//     one node each, node-1..3 in the three zones and node-4 in the first,
//     each waiting for the one before so that a roll takes one node at a
//     time; each from its own launch template (Amazon Linux 2023 nodeadm
//     MIME user data setting max pods for custom networking, then a script
//     that persists vm.max_map_count=262144 and starts bpa-data.service);
//     IMDSv2 with hop limit 1 (no pod outside the host network reaches the
//     node role; nodegroups.go says why no add-on here needs more); an
//     encrypted gp3 root volume;
//   - each BPA node's data volume as a resource of its own (encrypted gp3,
//     in the node's zone, protected with bpa:protect), which outlives the
//     node: bpa-data.service waits until the volume is free (a rolling
//     update starts the new node before the old one is gone), attaches it,
//     formats it only if blank, mounts it at /opt/bpa, makes that node's
//     /opt/bpa/data directories (table in nodes.go) with the configured
//     owner and mode, copies the release bundle from the bundle bucket, and
//     only then labels the node name=node-N, so the chart's pods start on
//     their own data;
//   - the bundle bucket (versioned, encrypted, private, TLS only,
//     incomplete uploads aborted after a week) holding the BPA release
//     bundle, which the node role may only read;
//   - an optional general-purpose node group over the three zones;
//   - the node IAM role (worker, CNI, SSM core, pull of the EKS add-on images
//     from AWS's regional registry, and the registry's scoped pull policy
//     when its ARN is given) and the EBS CSI driver's IRSA role;
//   - EKS managed add-ons vpc-cni, kube-proxy, CoreDNS and the EBS CSI driver
//     (its controller told its region, since it cannot reach IMDS);
//   - an Application Load Balancer in the public subnets, invalid headers
//     dropped, deletion protection with bpa:protect, one listener per
//     configured port (HTTPS with the ACM certificate and
//     ELBSecurityPolicy-TLS13-1-2-2021-06) forwarding to an instance target
//     group on the BPA nodes' port, and its access logs in a bucket of their
//     own (SSE-S3, which is all ALB log delivery accepts; public access
//     blocked; TLS only; versioned; expired after
//     bpa:loadBalancerAccessLogDays and their old versions 30 days later;
//     incomplete uploads aborted after a week);
//   - with bpa:loadBalancerWaf (on by default where bpa:protect is), an AWS
//     WAF web ACL associated with the load balancer: default allow, the AWS
//     managed rule groups CommonRuleSet (its 8 KB body limit counting, not
//     blocking), KnownBadInputsRuleSet and AmazonIpReputationList, metrics
//     and sampled requests on (waf.go).
//
// Design choices:
//   - bpa:protect protects pulumi-eks's control plane through a transform
//     (ProtectOnly), not the component: protect on the component would reach
//     every child pulumi-eks makes, and removing an admin role would fail.
//     The component gets an empty instanceRoles, so pulumi-eks v2.8.1 makes
//     no instance role and EC2_LINUX access entry for a default node group
//     there is none of; its node security group and rules cannot be turned
//     off before v3 (nodejs/eks/cluster.ts, securitygroup.ts), a documented
//     exception the policy rule eks-node-security-group reports.
//   - Node groups are aws eks.NodeGroup resources, not pulumi-eks
//     ManagedNodeGroup: they are plain custom resources, so their inputs
//     (labels, subnets, launch template, scaling) are visible in previews and
//     tests, and their outputs (the autoscaling group name) feed the target
//     group attachments; pulumi-eks would add aws-auth role mappings that API
//     authentication does not need.
//   - Target registration: managed node groups own their autoscaling groups
//     and take no target groups, so each BPA node group's autoscaling group
//     (an output of eks.NodeGroup, known once the group exists) is attached
//     to every target group with autoscaling.Attachment. Replacement nodes
//     are registered by the autoscaling group itself. Registering instances
//     through the launch template is not possible (launch templates carry no
//     target groups), and a Kubernetes-side TargetGroupBinding would need
//     the AWS Load Balancer Controller.
//   - The vpc-cni add-on is managed here (useDefaultVpcCni on pulumi-eks), so
//     no kubectl-applied manifests are involved and its settings are inputs
//     that previews show.
//   - Node groups wait for the ENIConfigs, the vpc-cni add-on and the node
//     role's policies (nodes that join earlier take primary-range pod
//     addresses or fail to register); CoreDNS and the EBS CSI driver wait for
//     the nodes (their pods have nowhere to run before, and the add-ons stay
//     DEGRADED until the provider times out).
//
// The EKS-managed cluster security group on the nodes allows all outbound
// traffic, so the node group's own egress rules document intent rather than
// restrict it; the pods' group is the effective boundary for pod traffic.
//
// It refuses arguments without three zones, without a certificate or with
// listeners, volumes or node sizes the services would reject.
package cluster
