package policy

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/bpa-infra/bpa-infra/internal/harness"
)

// Resource types the rules name.
const (
	typeRDSInstance      = "aws:rds/instance:Instance"
	typeRDSParamGroup    = "aws:rds/parameterGroup:ParameterGroup"
	typeLaunchTemplate   = "aws:ec2/launchTemplate:LaunchTemplate"
	typeInstance         = "aws:ec2/instance:Instance"
	typeECRRepository    = "aws:ecr/repository:Repository"
	typeLogGroup         = "aws:cloudwatch/logGroup:LogGroup"
	typeEKSCluster       = "eks:index:Cluster"
	typeEKSControlPlane  = "aws:eks/cluster:Cluster"
	typeEBSVolume        = "aws:ebs/volume:Volume"
	typeSecret           = "aws:secretsmanager/secret:Secret"
	typeKMSKey           = "aws:kms/key:Key"
	typeSecurityGroup    = "aws:ec2/securityGroup:SecurityGroup"
	typeSGRule           = "aws:ec2/securityGroupRule:SecurityGroupRule"
	typeSGIngressRule    = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	typeSGEgressRule     = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	typeDefaultSG        = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
	typeVPC              = "aws:ec2/vpc:Vpc"
	typeFlowLog          = "aws:ec2/flowLog:FlowLog"
	typeSubnet           = "aws:ec2/subnet:Subnet"
	typeLoadBalancer     = "aws:lb/loadBalancer:LoadBalancer"
	typeRolePolicy       = "aws:iam/rolePolicy:RolePolicy"
	typePolicy           = "aws:iam/policy:Policy"
	typeRole             = "aws:iam/role:Role"
	typePolicyAttachment = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	typeAtlasCluster     = "mongodbatlas:index/advancedCluster:AdvancedCluster"
	typeAtlasProject     = "mongodbatlas:index/project:Project"
	typeAtlasAccessList  = "mongodbatlas:index/projectIpAccessList:ProjectIpAccessList"
	typeAtlasEndpointSvc = "mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService"
	typeBucket           = "aws:s3/bucketV2:BucketV2"
	typeBucketSSE        = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	typeBucketPAB        = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	typeBucketPolicy     = "aws:s3/bucketPolicy:BucketPolicy"
	typeBucketVersioning = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	typeBucketLifecycle  = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
	typeWebACL           = "aws:wafv2/webAcl:WebAcl"
	typeWebACLAssoc      = "aws:wafv2/webAclAssociation:WebAclAssociation"
	typeSecretVersion    = "aws:secretsmanager/secretVersion:SecretVersion"
	typeRandomPassword   = "random:index/randomPassword:RandomPassword"
	// anyAWS matches every resource of the AWS provider.
	anyAWS = "aws:*"
)

// StatefulTypes hold data or identity that a replacement would lose: in a
// protected stack each carries Pulumi's protect option.
var StatefulTypes = []string{
	typeRDSInstance, typeRDSParamGroup, typeKMSKey, typeECRRepository,
	typeEKSCluster, typeEKSControlPlane, typeAtlasCluster, typeAtlasProject, typeBucket, typeEBSVolume,
}

// InputlessComponents are the components whose provider registers them
// without inputs: pulumi-eks's Cluster is a Node.js ComponentResource,
// which passes {} to the engine (@pulumi/pulumi 3.124.0, the version
// pulumi-eks v2.8.1 bundles: sdk/nodejs/resource.ts:1090). The real engine
// shows their children, and the rules judge those instead: the offline
// plan sees the component's arguments, the policy pack the control plane
// pulumi-eks made of them (eks-* rules take both forms).
var InputlessComponents = []string{typeEKSCluster}

// endpoint is where the EKS endpoint settings sit: arguments of pulumi-eks's
// component, vpcConfig of the control plane.
func endpoint(r *Subject, key string) string {
	if r.Type == typeEKSControlPlane {
		return "vpcConfig." + key
	}
	return key
}

// insideEKS reports whether pulumi-eks's component made the resource.
func insideEKS(r *Subject) bool {
	return r.Parent != "" && resource.URN(r.Parent).Type() == typeEKSCluster
}

// Rules is the catalogue, by family. README's policy table lists the same
// rules; a test keeps the two together.
var Rules = []Rule{
	// Encryption at rest (and Atlas in transit).
	{
		Name: "rds-storage-encrypted", Family: "encryption", Severity: Mandatory,
		Description: "RDS storage is encrypted with a customer-managed KMS key",
		Types:       []string{typeRDSInstance}, Controls: []string{"CKV_AWS_16", "SecurityHub RDS.3"},
		check: func(p *Plan, r *Subject) []string {
			return all(
				p.want(isTrue(r.Get("storageEncrypted")), "storageEncrypted is not true"),
				p.want(set(r.Get("kmsKeyId")), "kmsKeyId is not set: storage would use the AWS-managed key"),
			)
		},
	},
	{
		Name: "ebs-encrypted", Family: "encryption", Severity: Mandatory,
		Description: "every EBS volume, of an instance, a launch template or on its own, is encrypted",
		Types:       []string{typeLaunchTemplate, typeInstance, typeEBSVolume}, Controls: []string{"CKV_AWS_8", "CKV_AWS_3", "CKV_AWS_189", "SecurityHub EC2.3"},
		check: func(_ *Plan, r *Subject) []string {
			var out []string
			if r.Type == typeEBSVolume && !isTrue(r.Get("encrypted")) {
				out = append(out, "encrypted is not true")
			}
			if r.Type == typeInstance && !isTrue(r.Get("rootBlockDevice.encrypted")) {
				out = append(out, "rootBlockDevice.encrypted is not true")
			}
			for i, m := range list(r.Get("ebsBlockDevices")) {
				if !isTrue(dig(m, "encrypted")) {
					out = append(out, fmt.Sprintf("ebsBlockDevices.%d.encrypted is not true", i))
				}
			}
			for i, m := range list(r.Get("blockDeviceMappings")) {
				if dig(m, "ebs") != nil && !isTrue(dig(m, "ebs.encrypted")) {
					out = append(out, fmt.Sprintf("blockDeviceMappings.%d (%v) is not encrypted", i, dig(m, "deviceName")))
				}
			}
			return out
		},
	},
	{
		Name: "ecr-kms-encrypted", Family: "encryption", Severity: Mandatory,
		Description: "ECR repositories encrypt images with a customer-managed KMS key",
		Types:       []string{typeECRRepository}, Controls: []string{"CKV_AWS_136"},
		check: func(p *Plan, r *Subject) []string {
			return all(p.want(r.Get("encryptionConfigurations.0.encryptionType") == "KMS" && set(r.Get("encryptionConfigurations.0.kmsKey")),
				"encryptionConfigurations does not name a KMS key"))
		},
	},
	{
		Name: "log-group-kms-encrypted", Family: "encryption", Severity: Mandatory,
		Description: "CloudWatch log groups are encrypted with a customer-managed KMS key",
		Types:       []string{typeLogGroup}, Controls: []string{"CKV_AWS_158"},
		check: func(p *Plan, r *Subject) []string {
			return all(p.want(set(r.Get("kmsKeyId")), "kmsKeyId is not set"))
		},
	},
	{
		Name: "eks-secrets-encrypted", Family: "encryption", Severity: Mandatory,
		Description: "EKS envelope-encrypts Kubernetes secrets with a KMS key",
		Types:       []string{typeEKSCluster, typeEKSControlPlane}, Controls: []string{"CKV_AWS_58", "SecurityHub EKS.3"},
		check: func(p *Plan, r *Subject) []string {
			if r.Type == typeEKSControlPlane {
				return all(p.want(set(r.Get("encryptionConfig.provider.keyArn")) && slices.Contains(strs(r.Get("encryptionConfig.resources")), "secrets"),
					"encryptionConfig does not encrypt secrets with a KMS key"))
			}
			return all(p.want(set(r.Get("encryptionConfigKeyArn")), "encryptionConfigKeyArn is not set"))
		},
	},
	{
		Name: "secret-customer-key", Family: "encryption", Severity: Mandatory,
		Description: "Secrets Manager secrets are encrypted with a customer-managed KMS key",
		Types:       []string{typeSecret}, Controls: []string{"CKV_AWS_149"},
		check: func(p *Plan, r *Subject) []string {
			return all(p.want(set(r.Get("kmsKeyId")), "kmsKeyId is not set: the secret would use aws/secretsmanager"))
		},
	},
	{
		Name: "kms-key-rotation", Family: "encryption", Severity: Mandatory,
		Description: "customer-managed KMS keys rotate yearly",
		Types:       []string{typeKMSKey}, Controls: []string{"CKV_AWS_7", "SecurityHub KMS.4"},
		check: func(p *Plan, r *Subject) []string {
			return all(p.want(isTrue(r.Get("enableKeyRotation")), "enableKeyRotation is not true"))
		},
	},
	{
		Name: "s3-encrypted", Family: "encryption", Severity: Mandatory, Stack: true,
		Description: "every S3 bucket has default encryption",
		Types:       []string{typeBucket}, Controls: []string{"CKV_AWS_19"},
		check: func(p *Plan, r *Subject) []string {
			for _, sse := range p.attached(typeBucketSSE, "bucket", r.URN) {
				if alg := sse.Get("rules.0.applyServerSideEncryptionByDefault.sseAlgorithm"); alg == "AES256" || alg == "aws:kms" {
					return nil
				}
			}
			return []string{"no default encryption configuration names this bucket"}
		},
	},
	{
		Name: "s3-tls-only", Family: "encryption", Severity: Mandatory, Stack: true,
		Description: "every S3 bucket refuses requests without TLS",
		Types:       []string{typeBucket}, Controls: []string{"SecurityHub S3.5"},
		check: func(p *Plan, r *Subject) []string {
			for _, policy := range p.attached(typeBucketPolicy, "bucket", r.URN) {
				if deniesPlainHTTP(policy) {
					return nil
				}
			}
			return []string{"no bucket policy denies requests with aws:SecureTransport false"}
		},
	},
	{
		Name: "atlas-tls-1-2", Family: "encryption", Severity: Mandatory,
		Description: "Atlas clusters refuse TLS older than 1.2",
		Types:       []string{typeAtlasCluster}, Controls: []string{"MongoDB Atlas security checklist: TLS"},
		check: func(p *Plan, r *Subject) []string {
			v := r.Get("advancedConfiguration.minimumEnabledTlsProtocol")
			return all(p.want(v == "TLS1_2" || v == "TLS1_3", "advancedConfiguration.minimumEnabledTlsProtocol is %v, not TLS1_2 or later", v))
		},
	},

	// No public databases, instances or control plane.
	{
		Name: "rds-not-public", Family: "public-access", Severity: Mandatory,
		Description: "RDS instances are not publicly accessible",
		Types:       []string{typeRDSInstance}, Controls: []string{"CKV_AWS_17", "SecurityHub RDS.2"},
		check: func(p *Plan, r *Subject) []string {
			return all(p.want(r.Get("publiclyAccessible") == false, "publiclyAccessible is not false"))
		},
	},
	{
		Name: "atlas-private-only", Family: "public-access", Severity: Mandatory, Stack: true,
		Description: "Atlas is reached over PrivateLink only: no IP access list entries",
		Types:       []string{typeAtlasCluster, typeAtlasAccessList}, Controls: []string{"MongoDB Atlas security checklist: private endpoints"},
		check: func(p *Plan, r *Subject) []string {
			if r.Type == typeAtlasAccessList {
				return []string{"an IP access list entry opens the project beyond PrivateLink"}
			}
			return all(p.want(len(p.OfType(typeAtlasEndpointSvc)) > 0, "no PrivateLink endpoint service connects the cluster's project"))
		},
	},
	{
		Name: "s3-public-access-blocked", Family: "public-access", Severity: Mandatory, Stack: true,
		Description: "every S3 bucket blocks public ACLs and policies",
		Types:       []string{typeBucket}, Controls: []string{"CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "SecurityHub S3.8"},
		check: func(p *Plan, r *Subject) []string {
			for _, pab := range p.attached(typeBucketPAB, "bucket", r.URN) {
				if isTrue(pab.Get("blockPublicAcls")) && isTrue(pab.Get("blockPublicPolicy")) &&
					isTrue(pab.Get("ignorePublicAcls")) && isTrue(pab.Get("restrictPublicBuckets")) {
					return nil
				}
			}
			return []string{"no public access block with all four settings on names this bucket"}
		},
	},
	{
		Name: "instance-no-public-ip", Family: "public-access", Severity: Mandatory,
		Description: "instances and node launch templates get no public IP address",
		Types:       []string{typeInstance, typeLaunchTemplate}, Controls: []string{"CKV_AWS_88", "SecurityHub EC2.9"},
		check: func(p *Plan, r *Subject) []string {
			if r.Type == typeInstance {
				return all(p.want(r.Get("associatePublicIpAddress") == false, "associatePublicIpAddress is not false"))
			}
			var out []string
			for i, ni := range list(r.Get("networkInterfaces")) {
				if isTrue(dig(ni, "associatePublicIpAddress")) {
					out = append(out, fmt.Sprintf("networkInterfaces.%d.associatePublicIpAddress is true", i))
				}
			}
			return out
		},
	},
	{
		Name: "eks-api-restricted", Family: "public-access", Severity: Mandatory,
		Description: "a public EKS API endpoint admits only configured CIDRs, never 0.0.0.0/0",
		Types:       []string{typeEKSCluster, typeEKSControlPlane}, Controls: []string{"CKV_AWS_38"},
		check: func(p *Plan, r *Subject) []string {
			if r.Get(endpoint(r, "endpointPublicAccess")) == false {
				return nil
			}
			cidrs := strs(r.Get(endpoint(r, "publicAccessCidrs")))
			return all(p.want(len(cidrs) > 0 && !slices.Contains(cidrs, "0.0.0.0/0"),
				"the public endpoint admits %v", orAll(cidrs)))
		},
	},
	{
		Name: "eks-api-private", Family: "public-access", Severity: Advisory,
		Description: "the EKS API endpoint is private only",
		Types:       []string{typeEKSCluster, typeEKSControlPlane}, Controls: []string{"CKV_AWS_39", "SecurityHub EKS.1"},
		check: func(p *Plan, r *Subject) []string {
			return all(p.want(r.Get(endpoint(r, "endpointPublicAccess")) == false, "endpointPublicAccess is true (limited to %v)",
				orAll(strs(r.Get(endpoint(r, "publicAccessCidrs"))))))
		},
	},
	{
		Name: "subnet-no-auto-public-ip", Family: "public-access", Severity: Mandatory,
		Description: "no subnet assigns public IP addresses on launch",
		Types:       []string{typeSubnet}, Controls: []string{"CKV_AWS_130", "SecurityHub EC2.15"},
		check: func(p *Plan, r *Subject) []string {
			return all(p.want(!isTrue(r.Get("mapPublicIpOnLaunch")), "mapPublicIpOnLaunch is true"))
		},
	},

	// Network ingress.
	{
		Name: "no-world-ingress", Family: "ingress", Severity: Mandatory, Stack: true,
		Description: "no security group admits 0.0.0.0/0 or ::/0, except the load balancer's configured listener ports",
		Types:       []string{typeSGIngressRule, typeSGRule, typeSecurityGroup},
		Controls:    []string{"CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "CKV_AWS_277", "SecurityHub EC2.18", "SecurityHub EC2.19"},
		check:       checkWorldIngress,
	},
	{
		Name: "egress-restricted", Family: "ingress", Severity: Advisory,
		Description: "no security group allows all traffic to 0.0.0.0/0 (BPA's pods do by default, bpa:podEgressCidrs: the guide's all outbound to the networks BPA manages)",
		Types:       []string{typeSGEgressRule}, Controls: []string{"CKV_AWS_382"},
		check: func(p *Plan, r *Subject) []string {
			return all(p.want(!(r.Get("ipProtocol") == "-1" && r.Get("cidrIpv4") == "0.0.0.0/0"), "allows all traffic to 0.0.0.0/0"))
		},
	},
	{
		Name: "default-sg-closed", Family: "ingress", Severity: Mandatory,
		Description: "the VPC's default security group allows no traffic",
		Types:       []string{typeDefaultSG}, Controls: []string{"CKV2_AWS_12", "SecurityHub EC2.2"},
		check: func(p *Plan, r *Subject) []string {
			return all(p.want(len(list(r.Get("ingress"))) == 0 && len(list(r.Get("egress"))) == 0, "the default security group has rules"))
		},
	},

	{
		Name: "alb-waf", Family: "ingress", Severity: Mandatory, Stack: true, ProtectedOnly: true,
		Description: "a protected stack's internet-facing load balancer is behind an AWS WAF web ACL (regional, AWS managed rule groups CommonRuleSet, KnownBadInputsRuleSet, AmazonIpReputationList, metrics and sampled requests on)",
		Types:       []string{typeLoadBalancer}, Controls: []string{"CKV2_AWS_28", "SecurityHub ELB.16"},
		check: checkLoadBalancerWAF,
	},
	{
		Name: "eks-node-security-group", Family: "ingress", Severity: Advisory,
		Description: "documented exception: pulumi-eks v2.8.1 creates an unused node security group with an all-traffic egress rule inside eks.Cluster whatever its arguments (skipDefaultSecurityGroups arrives in v3)",
		Types:       []string{typeEKSCluster, typeSGRule}, Controls: []string{"CKV2_AWS_5", "CKV_AWS_382"},
		check: func(p *Plan, r *Subject) []string {
			const msg = "pulumi-eks v2.8.1 creates an unused node security group with all egress; no option disables it before v3"
			if r.Type == typeSGRule {
				// The real engine shows the rule itself, inside the component.
				allEgress := r.Get("type") == "egress" && r.Get("protocol") == "-1" && slices.Contains(strs(r.Get("cidrBlocks")), "0.0.0.0/0")
				return all(p.want(!(allEgress && insideEKS(r)), msg))
			}
			// skipDefaultSecurityGroups is an input from pulumi-eks v3.0.0;
			// set then, the rule passes.
			return all(p.want(isTrue(r.Get("skipDefaultSecurityGroups")), msg))
		},
	},

	// Instance metadata.
	{
		Name: "imdsv2-required", Family: "imdsv2", Severity: Mandatory,
		Description: "instances and launch templates require IMDSv2 session tokens",
		Types:       []string{typeInstance, typeLaunchTemplate}, Controls: []string{"CKV_AWS_79", "SecurityHub EC2.8", "SecurityHub EC2.170"},
		check: func(p *Plan, r *Subject) []string {
			return all(p.want(r.Get("metadataOptions.httpTokens") == "required", "metadataOptions.httpTokens is %v, not required", r.Get("metadataOptions.httpTokens")))
		},
	},
	{
		Name: "imds-hop-limit-1", Family: "imdsv2", Severity: Mandatory,
		Description: "instances and launch templates answer instance metadata one hop only, so no pod outside the host network reaches the node role's credentials",
		Types:       []string{typeInstance, typeLaunchTemplate}, Controls: []string{"CKV_AWS_341"},
		check: func(p *Plan, r *Subject) []string {
			// Unset, the AMI's default applies: Amazon Linux 2023 images
			// set two hops.
			n := r.Get("metadataOptions.httpPutResponseHopLimit")
			if n == nil {
				n = "not set (the image's default)"
			}
			return all(p.want(n == 1.0, "metadataOptions.httpPutResponseHopLimit is %v, not 1", n))
		},
	},

	// Logging.
	{
		Name: "vpc-flow-logs", Family: "logging", Severity: Mandatory, Stack: true,
		Description: "every VPC records all traffic in flow logs",
		Types:       []string{typeVPC}, Controls: []string{"CKV2_AWS_11", "SecurityHub EC2.6"},
		check: func(p *Plan, r *Subject) []string {
			for _, fl := range p.attached(typeFlowLog, "vpcId", r.URN) {
				if fl.Get("trafficType") == "ALL" {
					return nil
				}
			}
			return []string{"no flow log with trafficType ALL records this VPC"}
		},
	},
	{
		Name: "eks-control-plane-logs", Family: "logging", Severity: Mandatory,
		Description: "EKS sends API, audit and authenticator logs to CloudWatch",
		Types:       []string{typeEKSCluster, typeEKSControlPlane}, Controls: []string{"CKV_AWS_37", "SecurityHub EKS.8"},
		check: func(_ *Plan, r *Subject) []string {
			return missing(strs(r.Get("enabledClusterLogTypes")), "enabledClusterLogTypes lacks", "api", "audit", "authenticator")
		},
	},
	{
		Name: "rds-log-exports", Family: "logging", Severity: Mandatory,
		Description: "RDS PostgreSQL exports its server log to CloudWatch",
		Types:       []string{typeRDSInstance}, Controls: []string{"CKV_AWS_129", "SecurityHub RDS.9"},
		check: func(_ *Plan, r *Subject) []string {
			return missing(strs(r.Get("enabledCloudwatchLogsExports")), "enabledCloudwatchLogsExports lacks", "postgresql")
		},
	},
	{
		Name: "alb-drop-invalid-headers", Family: "logging", Severity: Mandatory,
		Description: "application load balancers drop invalid HTTP headers",
		Types:       []string{typeLoadBalancer}, Controls: []string{"CKV_AWS_131", "SecurityHub ELB.4"},
		check: func(p *Plan, r *Subject) []string {
			if r.Get("loadBalancerType") != "application" {
				return nil
			}
			return all(p.want(isTrue(r.Get("dropInvalidHeaderFields")), "dropInvalidHeaderFields is not true"))
		},
	},
	{
		Name: "alb-access-logs", Family: "logging", Severity: Advisory,
		Description: "load balancers write access logs to S3",
		Types:       []string{typeLoadBalancer}, Controls: []string{"CKV_AWS_91", "SecurityHub ELB.5"},
		check: func(p *Plan, r *Subject) []string {
			return all(p.want(isTrue(r.Get("accessLogs.enabled")), "access logs are off"))
		},
	},
	{
		Name: "rds-enhanced-monitoring", Family: "logging", Severity: Advisory,
		Description: "RDS enhanced monitoring is on",
		Types:       []string{typeRDSInstance}, Controls: []string{"CKV_AWS_118", "SecurityHub RDS.6"},
		check: func(p *Plan, r *Subject) []string {
			n, _ := r.Get("monitoringInterval").(float64)
			return all(p.want(n > 0, "monitoringInterval is 0"))
		},
	},
	{
		Name: "log-group-retention", Family: "logging", Severity: Mandatory,
		Description: "every log group has a retention period (none keeps logs forever by accident)",
		Types:       []string{typeLogGroup}, Controls: []string{"CKV_AWS_66"},
		check: func(p *Plan, r *Subject) []string {
			n, _ := r.Get("retentionInDays").(float64)
			return all(p.want(n > 0, "retentionInDays is not set"))
		},
	},
	{
		Name: "log-group-retention-year", Family: "logging", Severity: Advisory,
		Description: "log groups keep a year of logs",
		Types:       []string{typeLogGroup}, Controls: []string{"CKV_AWS_338", "SecurityHub CloudWatch.16"},
		check: func(p *Plan, r *Subject) []string {
			n, _ := r.Get("retentionInDays").(float64)
			return all(p.want(n >= 365, "retentionInDays is %v", n))
		},
	},

	// Backups and retention.
	{
		Name: "rds-backups", Family: "backups", Severity: Mandatory,
		Description: "RDS keeps automated backups",
		Types:       []string{typeRDSInstance}, Controls: []string{"CKV_AWS_133", "SecurityHub RDS.11"},
		check: func(p *Plan, r *Subject) []string {
			n, _ := r.Get("backupRetentionPeriod").(float64)
			return all(p.want(n >= 1, "backupRetentionPeriod is %v", n))
		},
	},
	{
		Name: "rds-backups-week", Family: "backups", Severity: Mandatory, ProtectedOnly: true,
		Description: "a protected stack's RDS keeps at least seven days of backups and copies tags to snapshots",
		Types:       []string{typeRDSInstance}, Controls: []string{"SecurityHub RDS.11 (backupRetentionMinimum 7)", "CKV2_AWS_60", "SecurityHub RDS.17"},
		check: func(p *Plan, r *Subject) []string {
			n, _ := r.Get("backupRetentionPeriod").(float64)
			return all(
				p.want(n >= 7, "backupRetentionPeriod is %v", n),
				p.want(isTrue(r.Get("copyTagsToSnapshot")), "copyTagsToSnapshot is not true"),
			)
		},
	},
	{
		Name: "s3-versioning", Family: "backups", Severity: Mandatory, Stack: true,
		Description: "every S3 bucket is versioned, so a deleted or overwritten object can be recovered",
		Types:       []string{typeBucket}, Controls: []string{"CKV_AWS_21"},
		check: func(p *Plan, r *Subject) []string {
			for _, v := range p.attached(typeBucketVersioning, "bucket", r.URN) {
				if v.Get("versioningConfiguration.status") == "Enabled" {
					return nil
				}
			}
			return []string{"no versioning configuration with status Enabled names this bucket"}
		},
	},
	{
		Name: "s3-abort-incomplete-uploads", Family: "backups", Severity: Mandatory, Stack: true,
		Description: "every S3 bucket has an enabled lifecycle rule over the whole bucket that aborts incomplete multipart uploads",
		Types:       []string{typeBucket}, Controls: []string{"CKV_AWS_300"},
		check: func(p *Plan, r *Subject) []string {
			for _, lc := range p.attached(typeBucketLifecycle, "bucket", r.URN) {
				for _, rule := range list(lc.Get("rules")) {
					days, _ := dig(rule, "abortIncompleteMultipartUpload.daysAfterInitiation").(float64)
					if dig(rule, "status") == "Enabled" && days > 0 && wholeBucket(rule) {
						return nil
					}
				}
			}
			return []string{"no enabled lifecycle rule over the whole bucket sets abortIncompleteMultipartUpload.daysAfterInitiation"}
		},
	},
	{
		Name: "atlas-cloud-backup", Family: "backups", Severity: Mandatory, ProtectedOnly: true,
		Description: "a protected stack's Atlas cluster has cloud backup with point-in-time restore",
		Types:       []string{typeAtlasCluster}, Controls: []string{"MongoDB Atlas security checklist: backups"},
		check: func(p *Plan, r *Subject) []string {
			return all(
				p.want(isTrue(r.Get("backupEnabled")), "backupEnabled is not true"),
				p.want(isTrue(r.Get("pitEnabled")), "pitEnabled is not true"),
			)
		},
	},

	// Deletion protection (protected stacks).
	{
		Name: "stateful-protected", Family: "deletion-protection", Severity: Mandatory, ProtectedOnly: true,
		Description: "stateful resources carry Pulumi's protect option (pulumi-eks's control plane through a transform, so the component's other children stay unprotected)",
		Types:       StatefulTypes, Controls: []string{"Pulumi protect"},
		check: func(p *Plan, r *Subject) []string {
			switch r.Type {
			case typeEKSControlPlane:
				return all(p.want(r.Protect, "protect is not set on pulumi-eks's control plane"))
			case typeEKSCluster:
				return all(
					p.want(!r.Protect, "protect is set on the component: it reaches every child pulumi-eks makes"),
					p.want(protectsChild(r, typeEKSControlPlane), "no transform protects its "+typeEKSControlPlane),
				)
			}
			return all(p.want(r.Protect, "protect is not set"))
		},
	},
	{
		Name: "rds-deletion-protection", Family: "deletion-protection", Severity: Mandatory, ProtectedOnly: true,
		Description: "RDS has deletion protection and takes a final snapshot",
		Types:       []string{typeRDSInstance}, Controls: []string{"CKV_AWS_293", "SecurityHub RDS.8"},
		check: func(p *Plan, r *Subject) []string {
			return all(
				p.want(isTrue(r.Get("deletionProtection")), "deletionProtection is not true"),
				p.want(r.Get("skipFinalSnapshot") == false && set(r.Get("finalSnapshotIdentifier")), "no final snapshot is taken on deletion"),
			)
		},
	},
	{
		Name: "atlas-termination-protection", Family: "deletion-protection", Severity: Mandatory, ProtectedOnly: true,
		Description: "Atlas clusters have termination protection and keep backups after deletion",
		Types:       []string{typeAtlasCluster}, Controls: []string{"Atlas terminationProtectionEnabled"},
		check: func(p *Plan, r *Subject) []string {
			return all(
				p.want(isTrue(r.Get("terminationProtectionEnabled")), "terminationProtectionEnabled is not true"),
				p.want(isTrue(r.Get("retainBackupsEnabled")), "retainBackupsEnabled is not true"),
			)
		},
	},
	{
		Name: "ecr-no-force-delete", Family: "deletion-protection", Severity: Mandatory, ProtectedOnly: true,
		Description: "ECR repositories holding images are never deleted with their images",
		Types:       []string{typeECRRepository}, Controls: []string{"Pulumi protect"},
		check: func(p *Plan, r *Subject) []string {
			return all(p.want(!isTrue(r.Get("forceDelete")), "forceDelete is true"))
		},
	},
	{
		Name: "alb-deletion-protection", Family: "deletion-protection", Severity: Advisory, ProtectedOnly: true,
		Description: "the load balancer has deletion protection",
		Types:       []string{typeLoadBalancer}, Controls: []string{"CKV_AWS_150", "SecurityHub ELB.6"},
		check: func(p *Plan, r *Subject) []string {
			return all(p.want(isTrue(r.Get("enableDeletionProtection")), "enableDeletionProtection is not true"))
		},
	},

	// Registry hygiene.
	{
		Name: "ecr-scan-on-push", Family: "registry", Severity: Mandatory,
		Description: "ECR scans every pushed image",
		Types:       []string{typeECRRepository}, Controls: []string{"CKV_AWS_163", "SecurityHub ECR.1"},
		check: func(p *Plan, r *Subject) []string {
			return all(p.want(isTrue(r.Get("imageScanningConfiguration.scanOnPush")), "imageScanningConfiguration.scanOnPush is not true"))
		},
	},
	{
		Name: "ecr-immutable-tags", Family: "registry", Severity: Advisory,
		Description: "ECR image tags are immutable",
		Types:       []string{typeECRRepository}, Controls: []string{"CKV_AWS_51", "SecurityHub ECR.2"},
		check: func(p *Plan, r *Subject) []string {
			return all(p.want(r.Get("imageTagMutability") == "IMMUTABLE", "imageTagMutability is %v", r.Get("imageTagMutability")))
		},
	},

	// IAM.
	{
		Name: "iam-no-wildcard-action", Family: "iam", Severity: Mandatory,
		Description: "no policy allows \"*\" or \"service:*\" actions (a KMS key policy may give kms:* to its account root, as AWS's default key policy does); no administrator managed policy is attached",
		Types:       []string{typeRolePolicy, typePolicy, typeRole, typeKMSKey, typeBucketPolicy, typePolicyAttachment},
		Controls:    []string{"CKV_AWS_1", "CKV_AWS_62", "CKV_AWS_63", "SecurityHub IAM.1", "SecurityHub IAM.21"},
		check:       checkWildcardActions,
	},
	{
		Name: "iam-no-wildcard-resource", Family: "iam", Severity: Mandatory,
		Description: "identity and bucket policies allow \"*\" resources only for actions AWS cannot scope to a resource",
		Types:       []string{typeRolePolicy, typePolicy, typeRole, typeBucketPolicy},
		Controls:    []string{"CKV_AWS_355", "CKV_AWS_290"},
		check:       checkWildcardResources,
	},
	{
		Name: "rds-iam-auth", Family: "iam", Severity: Mandatory,
		Description: "RDS accepts IAM database authentication (password logins stay for roles not granted rds_iam)",
		Types:       []string{typeRDSInstance}, Controls: []string{"CKV_AWS_161"},
		check: func(p *Plan, r *Subject) []string {
			return all(p.want(isTrue(r.Get("iamDatabaseAuthenticationEnabled")), "iamDatabaseAuthenticationEnabled is not true"))
		},
	},

	// Credentials.
	{
		Name: "secrets-rotated", Family: "credentials", Severity: Advisory, Stack: true,
		Description: "every password the program generates into a Secrets Manager secret has a rotation keeper (bpa:credentialsRotation), so one pulumi up rotates it; Pulumi, not a rotation Lambda, is the source of these passwords",
		Types:       []string{typeSecret}, Controls: []string{"CKV2_AWS_57"},
		check: checkSecretRotationKeepers,
	},

	// Tags.
	{
		Name: "required-tags", Family: "tags", Severity: Mandatory,
		Description: "every AWS resource is created through a provider whose default tags carry customer, environment and owner, and no resource overrides them",
		Types:       []string{anyAWS, typeEKSCluster}, Controls: []string{"SecurityHub AWS Resource Tagging Standard (requiredTagKeys)"},
		check: checkProviderTags,
	},
	{
		Name: "launch-template-tags", Family: "tags", Severity: Mandatory,
		Description: "launch templates tag the instances and volumes they start (provider default tags do not reach them)",
		Types:       []string{typeLaunchTemplate}, Controls: []string{"SecurityHub AWS Resource Tagging Standard (requiredTagKeys)"},
		check: func(p *Plan, r *Subject) []string {
			var out []string
			for _, kind := range []string{"instance", "volume"} {
				var tags any
				for _, spec := range list(r.reveal("tagSpecifications")) {
					if dig(spec, "resourceType") == kind {
						tags = dig(spec, "tags")
					}
				}
				out = append(out, p.tagProblems(tags, "tagSpecifications["+kind+"]")...)
			}
			return out
		},
	},
	{
		Name: "atlas-tags", Family: "tags", Severity: Mandatory,
		Description: "the Atlas project and cluster carry the stack's customer, environment and owner tags",
		Types:       []string{typeAtlasCluster, typeAtlasProject}, Controls: []string{"Atlas resource tags"},
		check: func(p *Plan, r *Subject) []string {
			tags := r.reveal("tags")
			if r.Type == typeAtlasCluster { // a list of {key, value}
				m := map[string]any{}
				for _, t := range list(tags) {
					if k, ok := dig(t, "key").(string); ok {
						m[k] = dig(t, "value")
					}
				}
				tags = m
			}
			return p.tagProblems(tags, "tags")
		},
	},
}

// checkLoadBalancerWAF requires an internet-facing load balancer to be
// associated with a regional web ACL that runs the AWS managed rule groups
// with metrics and sampled requests on.
func checkLoadBalancerWAF(p *Plan, r *Subject) []string {
	// WAF protects application load balancers only, and internal ones
	// face no internet.
	if isTrue(r.Get("internal")) || r.Get("loadBalancerType") != nil && r.Get("loadBalancerType") != "application" {
		return nil
	}
	var acls []*Subject
	for _, assoc := range p.attached(typeWebACLAssoc, "resourceArn", r.URN) {
		for _, u := range assoc.PropertyDependencies["webAclArn"] {
			if acl := p.Subject(u); acl != nil && acl.Type == typeWebACL {
				acls = append(acls, acl)
			}
		}
	}
	if len(acls) == 0 {
		return []string{"no WAF web ACL association names this internet-facing load balancer"}
	}
	var out []string
	for _, acl := range acls {
		out = append(out, all(
			p.want(acl.Get("scope") == "REGIONAL", "web ACL %s scope is %v, not REGIONAL", acl.Name, acl.Get("scope")),
			p.want(acl.Get("defaultAction") != nil, "web ACL %s has no default action", acl.Name),
			p.want(visible(acl.Get("visibilityConfig")), "web ACL %s does not record CloudWatch metrics and sampled requests", acl.Name),
		)...)
		groups := map[string]bool{}
		for _, rule := range list(acl.Get("rules")) {
			if dig(rule, "statement.managedRuleGroupStatement.vendorName") != "AWS" {
				continue
			}
			name, _ := dig(rule, "statement.managedRuleGroupStatement.name").(string)
			groups[name] = true
			if !visible(dig(rule, "visibilityConfig")) {
				out = append(out, fmt.Sprintf("web ACL %s rule %s does not record CloudWatch metrics and sampled requests", acl.Name, name))
			}
		}
		var absent []string
		for _, g := range wafManagedRuleGroups {
			if !groups[g] {
				absent = append(absent, g)
			}
		}
		if len(absent) > 0 {
			out = append(out, fmt.Sprintf("web ACL %s lacks the AWS managed rule groups %s", acl.Name, strings.Join(absent, ", ")))
		}
	}
	return out
}

// wafManagedRuleGroups are the AWS managed rule groups alb-waf requires.
var wafManagedRuleGroups = []string{"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList"}

// visible reports whether a WAF visibility configuration records both
// CloudWatch metrics and sampled requests.
func visible(cfg any) bool {
	return isTrue(dig(cfg, "cloudwatchMetricsEnabled")) && isTrue(dig(cfg, "sampledRequestsEnabled"))
}

// checkSecretRotationKeepers finds the generated passwords a secret's
// versions hold and requires each to carry a rotation keeper. A secret that
// holds no generated password has nothing here to rotate.
func checkSecretRotationKeepers(p *Plan, r *Subject) []string {
	var out []string
	for _, version := range p.attached(typeSecretVersion, "secretId", r.URN) {
		for _, u := range version.PropertyDependencies["secretString"] {
			pw := p.Subject(u)
			if pw == nil || pw.Type != typeRandomPassword {
				continue
			}
			if !set(pw.Get("keepers.rotation")) {
				out = append(out, fmt.Sprintf("generated password %s has no rotation keeper (keepers.rotation): it can only be rotated by hand", pw.Name))
			}
		}
	}
	return out
}

// wholeBucket reports whether a lifecycle rule's filter leaves every object
// of the bucket in scope: no prefix, tag or size condition.
func wholeBucket(rule any) bool {
	if dig(rule, "prefix") != nil && dig(rule, "prefix") != "" {
		return false
	}
	filter, _ := dig(rule, "filter").(map[string]any)
	for k, v := range filter {
		if k == "prefix" && v == "" {
			continue
		}
		if v != nil {
			return false
		}
	}
	return true
}

// tagProblems compares a tag map, secrets opened (a tag may carry a value
// the stack stores encrypted), with the required tags: one message naming
// every tag that is missing or wrong, secrets shown as such.
func (p *Plan) tagProblems(tags any, where string) []string {
	m, _ := tags.(map[string]any)
	var wrong []string
	for _, k := range slices.Sorted(maps.Keys(p.Settings.RequiredTags)) {
		if required := p.Settings.RequiredTags[k]; m[k] != required {
			wrong = append(wrong, fmt.Sprintf("%s=%v (want %v)", k, orMissing(shown(m[k])), orMissing(shown(required))))
		}
	}
	return all(p.want(len(wrong) == 0, "%s: %s", where, strings.Join(wrong, ", ")))
}

func checkProviderTags(p *Plan, r *Subject) []string {
	providerURN := r.Provider
	if r.Remote {
		providerURN = r.Providers["aws"]
	}
	provider := p.Subject(providerURN)
	if provider == nil {
		return []string{"no explicit AWS provider: the default provider carries no default tags"}
	}
	out := p.tagProblems(provider.reveal("defaultTags.tags"), "provider "+provider.Name+" defaultTags")
	// A resource's own tags win over default tags: none may change one.
	own, _ := r.reveal("tags").(map[string]any)
	for _, k := range slices.Sorted(maps.Keys(p.Settings.RequiredTags)) {
		if v, ok := own[k]; ok && v != p.Settings.RequiredTags[k] {
			out = append(out, fmt.Sprintf("tags.%s = %v overrides the stack's %v", k, shown(v), orMissing(shown(p.Settings.RequiredTags[k]))))
		}
	}
	return out
}

func checkWorldIngress(p *Plan, r *Subject) []string {
	type opening struct {
		sg       string // URN of the security group the rule opens
		from, to any
		cidrs    []string
	}
	var open []opening
	switch r.Type {
	case typeSGIngressRule:
		open = append(open, opening{firstDep(r, "securityGroupId"), r.Get("fromPort"), r.Get("toPort"),
			strs([]any{r.Get("cidrIpv4"), r.Get("cidrIpv6")})})
	case typeSGRule:
		if r.Get("type") == "ingress" {
			open = append(open, opening{firstDep(r, "securityGroupId"), r.Get("fromPort"), r.Get("toPort"),
				append(strs(r.Get("cidrBlocks")), strs(r.Get("ipv6CidrBlocks"))...)})
		}
	case typeSecurityGroup:
		for _, in := range list(r.Get("ingress")) {
			open = append(open, opening{r.URN, dig(in, "fromPort"), dig(in, "toPort"),
				append(strs(dig(in, "cidrBlocks")), strs(dig(in, "ipv6CidrBlocks"))...)})
		}
	}
	lbGroups := p.loadBalancerGroups()
	var out []string
	for _, o := range open {
		if !slices.Contains(o.cidrs, "0.0.0.0/0") && !slices.Contains(o.cidrs, "::/0") {
			continue
		}
		if o.sg != "" && slices.Contains(lbGroups, o.sg) && o.from == o.to && slices.ContainsFunc(p.Settings.PublicPorts, func(port int) bool { return o.from == float64(port) }) {
			continue
		}
		out = append(out, fmt.Sprintf("ports %v-%v are open to the internet", o.from, o.to))
	}
	return out
}

// attached returns the resources of a type whose input prop is an output of
// the resource urn: a VPC's flow logs, a bucket's settings.
func (p *Plan) attached(typ, prop, urn string) []*Subject {
	var out []*Subject
	for _, s := range p.OfType(typ) {
		if slices.Contains(s.PropertyDependencies[prop], urn) {
			out = append(out, s)
		}
	}
	return out
}

// loadBalancerGroups are the security groups attached to load balancers.
func (p *Plan) loadBalancerGroups() []string {
	var out []string
	for _, lb := range p.OfType(typeLoadBalancer) {
		out = append(out, lb.PropertyDependencies["securityGroups"]...)
	}
	return out
}

func firstDep(r *Subject, prop string) string {
	if deps := r.PropertyDependencies[prop]; len(deps) > 0 {
		return deps[0]
	}
	return ""
}

// want returns the message when ok is false and the values read to decide
// ok were known; read unknown, the condition is undecided, not a finding.
func (p *Plan) want(ok bool, format string, args ...any) string {
	read := p.unknown[p.attributed:]
	p.attributed = len(p.unknown)
	if len(read) > 0 {
		p.undecided = append(p.undecided, read...)
		return ""
	}
	if ok {
		return ""
	}
	msg := fmt.Sprintf(format, args...)
	p.decided[msg] = true
	return msg
}

// all drops the empty results of want.
func all(msgs ...string) []string {
	var out []string
	for _, m := range msgs {
		if m != "" {
			out = append(out, m)
		}
	}
	return out
}

// missing names the wanted values a list lacks.
func missing(have []string, prefix string, wanted ...string) []string {
	var out []string
	for _, w := range wanted {
		if !slices.Contains(have, w) {
			out = append(out, prefix+" "+w)
		}
	}
	return out
}

// isTrue accepts true and "true": launch templates take some booleans as
// strings.
func isTrue(v any) bool { return v == true || v == "true" }

// set reports whether an input has a value (an unknown counts: it is an
// output of another resource, filled in on deployment).
func set(v any) bool {
	s, isString := v.(string)
	return v != nil && (!isString || s != "")
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func strs(v any) []string {
	var out []string
	for _, e := range list(v) {
		if s, ok := e.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}

func dig(v any, path string) any { return harness.Dig(v, path) }

func orAll(cidrs []string) any {
	if len(cidrs) == 0 {
		return "everyone (no CIDRs given)"
	}
	return strings.Join(cidrs, ", ")
}

func orMissing(v any) any {
	if v == nil {
		return "missing"
	}
	return fmt.Sprintf("%q", v)
}
