package policy_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	bpa "github.com/bpa-infra/bpa-infra"
	"github.com/bpa-infra/bpa-infra/internal/config"
	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/policy"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
)

func settings(t *testing.T, stack string) policy.Settings {
	t.Helper()
	s, err := policy.NewSettings(stacktest.Config(t, stack))
	if err != nil {
		t.Fatalf("stack %s: %v", stack, err)
	}
	return s
}

// The stacks pass every mandatory rule, and every advisory finding is one a
// reviewer has seen, for any stack: a waived one is of a rule the stack
// waives in bpa:policyWaivers, with its reason, and every waiver is needed;
// one left is a documented exception (README, "Policy rules") that the
// stack's settings cause, and each such exception is found exactly when
// they do. The expectations come from each stack's settings as the CLI
// hands them to the program (stacktest.Setting), never from its name.
func TestStacksPassMandatoryRules(t *testing.T) {
	for _, stack := range stacktest.EveryStack(t) {
		t.Run(stack, func(t *testing.T) {
			waivers := map[string]string{}
			if err := json.Unmarshal([]byte(stacktest.Setting(t, stack, "bpa:policyWaivers")), &waivers); err != nil {
				t.Fatalf("bpa:policyWaivers is not a map of rule to reason: %v", err)
			}
			exceptions := map[string]bool{
				// The EKS API has a public endpoint, limited to
				// bpa:publicAccessCidrs, so that pulumi up can run from
				// outside the VPC; an empty list turns it off.
				"eks-api-private cluster-eks": len(stacktest.SettingList(t, stack, "bpa:publicAccessCidrs")) > 0,
				// Pods may reach anywhere on any port where
				// bpa:podEgressCidrs allows it (its default, the guide's all
				// outbound: BPA manages network devices).
				"egress-restricted cluster-pods-to-out-0-0-0-0-0": slices.Contains(stacktest.SettingList(t, stack, "bpa:podEgressCidrs"), "0.0.0.0/0"),
				// pulumi-eks v2.8.1's unused node security group with all
				// egress: nothing disables it before v3.
				"eks-node-security-group cluster-eks": true,
			}
			exceptionRules := map[string]bool{}
			for key := range exceptions {
				rule, _, _ := strings.Cut(key, " ")
				exceptionRules[rule] = true
			}

			report := policy.Evaluate(stacktest.Resolved(t, stack), settings(t, stack))
			found, waived := map[string]bool{}, map[string]bool{}
			for _, f := range report.Findings {
				key := f.Rule + " " + f.Name
				found[key] = true
				reason, waives := waivers[f.Rule]
				switch {
				case f.Severity == policy.Mandatory:
					t.Errorf("mandatory %s on %s: %s", f.Rule, f.URN, f.Message)
				case f.WaivedBecause != "":
					waived[f.Rule] = true
					if !waives || f.WaivedBecause != reason {
						t.Errorf("%s waived because %q; bpa:policyWaivers gives %q", key, f.WaivedBecause, reason)
					}
					if exceptionRules[f.Rule] && !exceptions[key] {
						t.Errorf("waived %s: the stack's settings cause no such documented exception", key)
					}
				default:
					if waives {
						t.Errorf("%s is not waived, though bpa:policyWaivers waives %s", key, f.Rule)
					}
					if !exceptions[key] {
						t.Errorf("advisory %s is none of the documented exceptions the stack's settings cause: %s", key, f.Message)
					}
				}
			}
			for key, want := range exceptions {
				if want && !found[key] {
					t.Errorf("no %s finding, though the stack's settings cause it", key)
				}
			}
			for rule := range waivers {
				if !waived[rule] {
					t.Errorf("bpa:policyWaivers waives %s, which finds nothing to waive", rule)
				}
			}
			if !report.Passed() || !strings.HasPrefix(report.Summary(), "Policy passed") {
				t.Errorf("summary %q", report.Summary())
			}
		})
	}
}

// Stacks that protect (bpa:protect, production) run the protected-only
// rules too; throw-away stacks skip them.
func TestProtectedOnlyRulesRunWhereStacksProtect(t *testing.T) {
	protectedOnly := 0
	for _, r := range policy.Rules {
		if r.ProtectedOnly {
			protectedOnly++
		}
	}
	if protectedOnly == 0 {
		t.Fatal("no protected-only rule")
	}
	kinds := map[bool]bool{}
	for _, stack := range stacktest.EveryStack(t) {
		protect := stacktest.SettingBool(t, stack, "bpa:protect")
		kinds[protect] = true
		want := len(policy.Rules)
		if !protect {
			want -= protectedOnly
		}
		if got := policy.Evaluate(stacktest.Resolved(t, stack), settings(t, stack)).Rules; got != want {
			t.Errorf("%s (bpa:protect %v): %d rules run, want %d of %d (%d protected-only)", stack, protect, got, want, len(policy.Rules), protectedOnly)
		}
	}
	if !kinds[true] || !kinds[false] {
		t.Error("the stacks do not include both a protected and a throw-away stack")
	}
}

// injection changes one recorded resource (or adds one) and names the rule
// that must then fire on it.
type injection struct {
	family, rule string
	stack        string // default prod
	typ, name    string
	change       func(r *harness.Resource, in map[string]any)
}

func TestEachRuleFamilyCatchesAViolation(t *testing.T) {
	set := func(path string, v any) func(*harness.Resource, map[string]any) {
		return func(_ *harness.Resource, in map[string]any) { setPath(in, path, v) }
	}
	cases := []injection{
		{family: "encryption", rule: "rds-storage-encrypted", typ: "aws:rds/instance:Instance", name: "postgres", change: set("storageEncrypted", false)},
		{family: "encryption", rule: "rds-storage-encrypted", typ: "aws:rds/instance:Instance", name: "postgres", change: set("kmsKeyId", nil)},
		{family: "encryption", rule: "ebs-encrypted", typ: "aws:ec2/launchTemplate:LaunchTemplate", name: "cluster-bpa-node-1", change: set("blockDeviceMappings.0.ebs.encrypted", "false")},
		{family: "encryption", rule: "ebs-encrypted", typ: "aws:ebs/volume:Volume", name: "cluster-data-node-1", change: set("encrypted", false)},
		{family: "encryption", rule: "ebs-encrypted", typ: "aws:ec2/instance:Instance", name: "network-bastion", change: set("rootBlockDevice.encrypted", false)},
		{family: "encryption", rule: "ecr-kms-encrypted", typ: "aws:ecr/repository:Repository", name: "registry-bpa-core", change: set("encryptionConfigurations.0.encryptionType", "AES256")},
		{family: "encryption", rule: "log-group-kms-encrypted", typ: "aws:cloudwatch/logGroup:LogGroup", name: "network-flow-logs", change: set("kmsKeyId", nil)},
		{family: "encryption", rule: "eks-secrets-encrypted", typ: "eks:index:Cluster", name: "cluster-eks", change: set("encryptionConfigKeyArn", nil)},
		{family: "encryption", rule: "secret-customer-key", typ: "aws:secretsmanager/secret:Secret", name: "postgres-kong", change: set("kmsKeyId", "")},
		{family: "encryption", rule: "kms-key-rotation", typ: "aws:kms/key:Key", name: "postgres-key", change: set("enableKeyRotation", false)},
		{family: "encryption", rule: "s3-encrypted", typ: "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", name: "cluster-alb-logs",
			change: set("rules.0.applyServerSideEncryptionByDefault.sseAlgorithm", "none")},
		{family: "encryption", rule: "s3-tls-only", typ: "aws:s3/bucketPolicy:BucketPolicy", name: "cluster-alb-logs",
			change: set("policy", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::797873946194:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/alb/*"}]}`)},
		{family: "encryption", rule: "atlas-tls-1-2", typ: "mongodbatlas:index/advancedCluster:AdvancedCluster", name: "mongo-cluster", change: set("advancedConfiguration.minimumEnabledTlsProtocol", "TLS1_0")},

		{family: "public-access", rule: "rds-not-public", typ: "aws:rds/instance:Instance", name: "postgres", change: set("publiclyAccessible", true)},
		{family: "public-access", rule: "instance-no-public-ip", typ: "aws:ec2/instance:Instance", name: "network-bastion", change: set("associatePublicIpAddress", true)},
		{family: "public-access", rule: "instance-no-public-ip", typ: "aws:ec2/launchTemplate:LaunchTemplate", name: "cluster-general", change: set("networkInterfaces", []any{map[string]any{"associatePublicIpAddress": "true"}})},
		{family: "public-access", rule: "eks-api-restricted", typ: "eks:index:Cluster", name: "cluster-eks", change: set("publicAccessCidrs", []any{"0.0.0.0/0"})},
		{family: "public-access", rule: "s3-public-access-blocked", typ: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", name: "cluster-alb-logs", change: set("blockPublicPolicy", false)},
		{family: "public-access", rule: "subnet-no-auto-public-ip", typ: "aws:ec2/subnet:Subnet", name: "network-public-us-west-2a", change: set("mapPublicIpOnLaunch", true)},
		{family: "public-access", rule: "atlas-private-only", typ: "mongodbatlas:index/projectIpAccessList:ProjectIpAccessList", name: "mongo-anywhere",
			change: set("cidrBlock", "0.0.0.0/0")},

		{family: "ingress", rule: "no-world-ingress", typ: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", name: "cluster-nodes-bpa-30101-from-alb", change: set("cidrIpv4", "0.0.0.0/0")},
		{family: "ingress", rule: "no-world-ingress", typ: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", name: "cluster-alb-443-from-198-51-100-0-24",
			change: func(_ *harness.Resource, in map[string]any) {
				in["cidrIpv4"], in["fromPort"], in["toPort"] = "0.0.0.0/0", 22.0, 22.0
			}},
		{family: "ingress", rule: "no-world-ingress", typ: "aws:ec2/securityGroup:SecurityGroup", name: "postgres", change: set("ingress", []any{map[string]any{"fromPort": 5432.0, "toPort": 5432.0, "cidrBlocks": []any{"0.0.0.0/0"}}})},
		{family: "ingress", rule: "default-sg-closed", typ: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", name: "network-default-sg", change: set("ingress", []any{map[string]any{"self": true}})},
		// The internet-facing load balancer had no web ACL.
		{family: "ingress", rule: "alb-waf", typ: "aws:wafv2/webAclAssociation:WebAclAssociation", name: "cluster-waf",
			change: func(r *harness.Resource, _ map[string]any) { r.PropertyDependencies = nil }},
		{family: "ingress", rule: "alb-waf", typ: "aws:wafv2/webAcl:WebAcl", name: "cluster-waf", change: set("rules.2.statement.managedRuleGroupStatement.name", "AWSManagedRulesAnonymousIpList")},
		{family: "ingress", rule: "alb-waf", typ: "aws:wafv2/webAcl:WebAcl", name: "cluster-waf", change: set("scope", "CLOUDFRONT")},
		{family: "ingress", rule: "alb-waf", typ: "aws:wafv2/webAcl:WebAcl", name: "cluster-waf", change: set("rules.0.visibilityConfig.sampledRequestsEnabled", false)},
		{family: "ingress", rule: "alb-waf", typ: "aws:wafv2/webAcl:WebAcl", name: "cluster-waf", change: set("visibilityConfig.cloudwatchMetricsEnabled", false)},

		{family: "imdsv2", rule: "imdsv2-required", typ: "aws:ec2/launchTemplate:LaunchTemplate", name: "cluster-bpa-node-2", change: set("metadataOptions.httpTokens", "optional")},
		{family: "imdsv2", rule: "imdsv2-required", typ: "aws:ec2/instance:Instance", name: "network-bastion", change: set("metadataOptions", nil)},
		// The node launch templates' old two hops.
		{family: "imdsv2", rule: "imds-hop-limit-1", typ: "aws:ec2/launchTemplate:LaunchTemplate", name: "cluster-bpa-node-1", change: set("metadataOptions.httpPutResponseHopLimit", 2.0)},
		{family: "imdsv2", rule: "imds-hop-limit-1", typ: "aws:ec2/launchTemplate:LaunchTemplate", name: "cluster-general", change: set("metadataOptions.httpPutResponseHopLimit", nil)},
		{family: "imdsv2", rule: "imds-hop-limit-1", typ: "aws:ec2/instance:Instance", name: "network-bastion", change: set("metadataOptions.httpPutResponseHopLimit", 3.0)},

		{family: "logging", rule: "vpc-flow-logs", typ: "aws:ec2/flowLog:FlowLog", name: "network-flow-log", change: set("trafficType", "REJECT")},
		{family: "logging", rule: "eks-control-plane-logs", typ: "eks:index:Cluster", name: "cluster-eks", change: set("enabledClusterLogTypes", []any{"api"})},
		{family: "logging", rule: "rds-log-exports", typ: "aws:rds/instance:Instance", name: "postgres", change: set("enabledCloudwatchLogsExports", []any{"upgrade"})},
		{family: "logging", rule: "alb-drop-invalid-headers", typ: "aws:lb/loadBalancer:LoadBalancer", name: "cluster-alb", change: set("dropInvalidHeaderFields", false)},
		{family: "logging", rule: "log-group-retention", typ: "aws:cloudwatch/logGroup:LogGroup", name: "postgres-log-postgresql", change: set("retentionInDays", nil)},

		{family: "backups", rule: "rds-backups", stack: stacktest.Lab, typ: "aws:rds/instance:Instance", name: "postgres", change: set("backupRetentionPeriod", 0.0)},
		{family: "backups", rule: "rds-backups-week", typ: "aws:rds/instance:Instance", name: "postgres", change: set("backupRetentionPeriod", 3.0)},
		{family: "backups", rule: "atlas-cloud-backup", typ: "mongodbatlas:index/advancedCluster:AdvancedCluster", name: "mongo-cluster", change: set("pitEnabled", false)},
		// The access log bucket had no versioning and no abort rule.
		{family: "backups", rule: "s3-versioning", typ: "aws:s3/bucketVersioningV2:BucketVersioningV2", name: "cluster-alb-logs", change: set("versioningConfiguration.status", "Suspended")},
		{family: "backups", rule: "s3-versioning", stack: stacktest.Lab, typ: "aws:s3/bucketVersioningV2:BucketVersioningV2", name: "cluster-bundle",
			change: func(r *harness.Resource, _ map[string]any) { r.PropertyDependencies = nil }},
		{family: "backups", rule: "s3-abort-incomplete-uploads", typ: "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", name: "cluster-alb-logs",
			change: set("rules", []any{map[string]any{"id": "expire-access-logs", "status": "Enabled", "filter": map[string]any{"prefix": "alb/"}, "expiration": map[string]any{"days": 365.0}}})},
		// An abort rule limited to a prefix leaves the rest of the bucket.
		{family: "backups", rule: "s3-abort-incomplete-uploads", typ: "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", name: "cluster-bundle",
			change: set("rules.0.filter", map[string]any{"prefix": "bundle/"})},
		{family: "backups", rule: "s3-abort-incomplete-uploads", typ: "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", name: "cluster-bundle",
			change: set("rules.0.status", "Disabled")},

		{family: "deletion-protection", rule: "stateful-protected", typ: "aws:kms/key:Key", name: "network-logs-key", change: func(r *harness.Resource, _ map[string]any) { r.Protect = false }},
		// pulumi-eks's control plane is protected through a transform; protect
		// on the component itself would reach every child it makes.
		{family: "deletion-protection", rule: "stateful-protected", typ: "eks:index:Cluster", name: "cluster-eks", change: func(r *harness.Resource, _ map[string]any) { r.Transforms = nil }},
		{family: "deletion-protection", rule: "stateful-protected", typ: "eks:index:Cluster", name: "cluster-eks", change: func(r *harness.Resource, _ map[string]any) { r.Protect = true }},
		{family: "deletion-protection", rule: "stateful-protected", typ: "aws:ebs/volume:Volume", name: "cluster-data-node-2", change: func(r *harness.Resource, _ map[string]any) { r.Protect = false }},
		{family: "deletion-protection", rule: "rds-deletion-protection", typ: "aws:rds/instance:Instance", name: "postgres", change: set("skipFinalSnapshot", true)},
		{family: "deletion-protection", rule: "atlas-termination-protection", typ: "mongodbatlas:index/advancedCluster:AdvancedCluster", name: "mongo-cluster", change: set("terminationProtectionEnabled", false)},
		{family: "deletion-protection", rule: "stateful-protected", typ: "aws:s3/bucketV2:BucketV2", name: "cluster-alb-logs", change: func(r *harness.Resource, _ map[string]any) { r.Protect = false }},
		{family: "deletion-protection", rule: "ecr-no-force-delete", typ: "aws:ecr/repository:Repository", name: "registry-bpa-ui", change: set("forceDelete", true)},

		{family: "registry", rule: "ecr-scan-on-push", typ: "aws:ecr/repository:Repository", name: "registry-bpa-ui", change: set("imageScanningConfiguration.scanOnPush", false)},

		{family: "iam", rule: "iam-no-wildcard-action", typ: "aws:iam/rolePolicy:RolePolicy", name: "cluster-nodes-eks-images",
			change: set("policy", `{"Statement":[{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:us-west-2:123456789012:repository/x"}]}`)},
		{family: "iam", rule: "iam-no-wildcard-action", typ: "aws:kms/key:Key", name: "registry-key",
			change: set("policy", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/ci"},"Action":["kms:*"],"Resource":"*"}]}`)},
		{family: "iam", rule: "iam-no-wildcard-action", typ: "aws:iam/rolePolicyAttachment:RolePolicyAttachment", name: "cluster-nodes-AmazonEKSWorkerNodePolicy",
			change: set("policyArn", "arn:aws:iam::aws:policy/AdministratorAccess")},
		{family: "iam", rule: "iam-no-wildcard-action", typ: "aws:s3/bucketPolicy:BucketPolicy", name: "cluster-alb-logs",
			change: set("policy", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::797873946194:root"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)},
		{family: "iam", rule: "rds-iam-auth", typ: "aws:rds/instance:Instance", name: "postgres", change: set("iamDatabaseAuthenticationEnabled", nil)},
		{family: "iam", rule: "rds-iam-auth", stack: stacktest.Lab, typ: "aws:rds/instance:Instance", name: "postgres", change: set("iamDatabaseAuthenticationEnabled", false)},
		{family: "iam", rule: "iam-no-wildcard-resource", typ: "aws:iam/rolePolicy:RolePolicy", name: "cluster-nodes-eks-images",
			change: set("policy", `{"Statement":[{"Effect":"Allow","Action":["ecr:BatchGetImage"],"Resource":["*"]}]}`)},

		{family: "tags", rule: "required-tags", typ: "pulumi:providers:aws", name: "aws", change: set("defaultTags.tags.owner", nil)},
		{family: "tags", rule: "required-tags", typ: "aws:rds/instance:Instance", name: "postgres", change: set("tags.environment", "staging")},
		{family: "tags", rule: "required-tags", typ: "eks:index:Cluster", name: "cluster-eks", change: func(r *harness.Resource, _ map[string]any) { r.Providers = nil }},
		{family: "tags", rule: "launch-template-tags", typ: "aws:ec2/launchTemplate:LaunchTemplate", name: "cluster-bpa-node-3", change: set("tagSpecifications.1.tags", map[string]any{"Name": "x"})},
		{family: "tags", rule: "atlas-tags", typ: "mongodbatlas:index/project:Project", name: "mongo-project", change: set("tags", nil)},
	}

	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.family] = true
		stack := c.stack
		if stack == "" {
			stack = stacktest.Live
		}
		t.Run(c.rule+"/"+c.name, func(t *testing.T) {
			rec := inject(t, stacktest.Resolved(t, stack), c)
			report := policy.Evaluate(rec, settings(t, stack))
			if report.Passed() {
				t.Fatalf("%s: the violation was not caught (%s)", c.rule, report.Summary())
			}
			for _, f := range report.Findings {
				if f.Rule == c.rule && f.Severity == policy.Mandatory {
					return
				}
			}
			t.Errorf("%s did not fire; findings: %+v", c.rule, report.Findings)
		})
	}
	for _, r := range policy.Rules {
		if r.Severity == policy.Mandatory && !covered[r.Family] {
			t.Errorf("family %s has no injected violation", r.Family)
		}
	}
}

// The load balancer's configured listener ports may be opened to the world;
// nothing else may.
func TestWorldIngressAllowedOnlyOnLoadBalancerListeners(t *testing.T) {
	c := injection{rule: "no-world-ingress", typ: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", name: "cluster-alb-443-from-198-51-100-0-24",
		change: func(_ *harness.Resource, in map[string]any) { in["cidrIpv4"] = "0.0.0.0/0" }}
	rec := inject(t, stacktest.Resolved(t, stacktest.Live), c)
	if report := policy.Evaluate(rec, settings(t, stacktest.Live)); !report.Passed() {
		t.Errorf("443 open to the world on the load balancer should pass: %+v", report.Findings)
	}
}

func TestWaivers(t *testing.T) {
	cfg := stacktest.Config(t, stacktest.Live)
	cfg.Policy.Waivers = map[string]string{
		"eks-api-private": "operators run pulumi up from the office range only",
		"rds-not-public":  "a mandatory rule, which no stack may waive",
		"no-such-rule":    "a rule name misspelt in the stack file",
	}
	_, err := policy.NewSettings(cfg)
	var cerr *config.Error
	if !errors.As(err, &cerr) || len(cerr.Errs) != 2 {
		t.Fatalf("want two problems with bpa:policyWaivers, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{`bpa:policyWaivers: "no-such-rule" is not a policy rule`, `bpa:policyWaivers: "rds-not-public" is a mandatory rule and cannot be waived`} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}

	delete(cfg.Policy.Waivers, "rds-not-public")
	delete(cfg.Policy.Waivers, "no-such-rule")
	s, err := policy.NewSettings(cfg)
	if err != nil {
		t.Fatal(err)
	}
	report := policy.Evaluate(stacktest.Resolved(t, stacktest.Live), s)
	if report.Waived() != 1 || report.Count(policy.Advisory) != 2 || !report.Passed() {
		t.Errorf("waived %d, advisory %d; want the EKS endpoint finding waived, the pod egress and pulumi-eks node group ones left", report.Waived(), report.Count(policy.Advisory))
	}
}

// A value the plan cannot see (a policy document built from ARNs, in a
// preview) leaves the rule undecided: listed, never passed unseen.
func TestUnknownValuesLeaveRulesUndecided(t *testing.T) {
	preview := policy.Evaluate(stacktest.Preview(t, stacktest.Live), settings(t, stacktest.Live))
	undecided := map[string]bool{}
	for _, u := range preview.Undecided {
		undecided[u.Rule] = true
		if len(u.Unknown) == 0 {
			t.Errorf("%s on %s is undecided without naming the unknown value", u.Rule, u.Name)
		}
	}
	for _, rule := range []string{"iam-no-wildcard-action", "iam-no-wildcard-resource", "rds-storage-encrypted"} {
		if !undecided[rule] {
			t.Errorf("%s passed a preview in which the values it reads are unknown", rule)
		}
	}
	if !strings.Contains(preview.Summary(), "undecided until apply") {
		t.Errorf("summary %q hides the undecided rules", preview.Summary())
	}
	// The offline plan judges a resolved run: nothing is left undecided.
	for _, stack := range stacktest.EveryStack(t) {
		if r := policy.Evaluate(stacktest.Resolved(t, stack), settings(t, stack)); len(r.Undecided) > 0 {
			t.Errorf("%s: resolved run leaves %v undecided", stack, r.Undecided)
		}
	}
}

func TestRulesAreDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range policy.Rules {
		if seen[r.Name] {
			t.Errorf("rule %s is defined twice", r.Name)
		}
		seen[r.Name] = true
		if r.Description == "" || r.Family == "" || len(r.Types) == 0 || len(r.Controls) == 0 {
			t.Errorf("rule %s lacks a description, family, types or controls", r.Name)
		}
	}
	readme := stacktest.ReadFile(t, "README.md")
	for _, r := range policy.Rules {
		row := "| `" + r.Name + "` | " + string(r.Severity)
		if !strings.Contains(readme, row) {
			t.Errorf("README's policy table has no row starting %q", row)
		}
	}
}

// inject returns a copy of rec with one resource changed, or added when the
// recording has none of that type and name.
func inject(t *testing.T, rec *harness.Recording, c injection) *harness.Recording {
	t.Helper()
	out := *rec
	out.Resources = slices.Clone(rec.Resources)
	target := rec.Find(c.typ, c.name)
	if target == nil {
		target = &harness.Resource{URN: "urn:pulumi:test::bpa::" + c.typ + "::" + c.name, Type: c.typ, Name: c.name, Custom: true}
		out.Resources = append(out.Resources, target)
	}
	changed := *target
	in := target.Plain()
	c.change(&changed, in)
	changed.Inputs = resource.NewPropertyMapFromMap(in)
	for i, r := range out.Resources {
		if r == target {
			out.Resources[i] = &changed
		}
	}
	return &out
}

// setPath sets a dotted path in plain data, creating maps on the way; nil
// deletes the key.
func setPath(in map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	var cur any = in
	for i, p := range parts {
		last := i == len(parts)-1
		switch node := cur.(type) {
		case map[string]any:
			if last {
				if v == nil {
					delete(node, p)
				} else {
					node[p] = v
				}
				return
			}
			if node[p] == nil {
				node[p] = map[string]any{}
			}
			cur = node[p]
		case []any:
			idx := 0
			for _, ch := range p {
				idx = idx*10 + int(ch-'0')
			}
			if last {
				node[idx] = v
				return
			}
			cur = node[idx]
		}
	}
}

// All traffic to anywhere is advisory: the pods' egress is the guide's by
// default, and any other group that opens it is reported too.
func TestEgressToAnywhereIsReported(t *testing.T) {
	t.Parallel()
	c := injection{rule: "egress-restricted", typ: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", name: "cluster-nodes-to-https",
		change: func(_ *harness.Resource, in map[string]any) { setPath(in, "ipProtocol", "-1") }}
	report := policy.Evaluate(inject(t, stacktest.Resolved(t, stacktest.Live), c), settings(t, stacktest.Live))
	for _, f := range report.Findings {
		if f.Rule == c.rule && f.Name == c.name && f.Severity == policy.Advisory {
			return
		}
	}
	t.Errorf("%s did not fire on %s; findings: %+v", c.rule, c.name, report.Findings)
}

// A protected stack that turns the web ACL off fails the plan; a throw-away
// one may run without it, and an internal load balancer needs none.
func TestLoadBalancerWithoutWafFailsOnlyProtectedStacks(t *testing.T) {
	t.Parallel()
	withoutWaf := func(stack string) *harness.Recording {
		opts := stacktest.Options(t, stack)
		opts.Resolve = true
		opts.Config["bpa:loadBalancerWaf"] = "off"
		rec, err := harness.Run(bpa.Program, opts)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Find("aws:wafv2/webAcl:WebAcl", "cluster-waf") != nil {
			t.Fatalf("%s: a web ACL with bpa:loadBalancerWaf off", stack)
		}
		return rec
	}
	for stack, wantPass := range map[string]bool{stacktest.Live: false, stacktest.Lab: true} {
		report := policy.Evaluate(withoutWaf(stack), settings(t, stack))
		fired := false
		for _, f := range report.Findings {
			fired = fired || f.Rule == "alb-waf" && f.Name == "cluster-alb" && f.Severity == policy.Mandatory
		}
		if fired == wantPass || report.Passed() != wantPass {
			t.Errorf("%s without a web ACL: alb-waf fired %v; findings %+v", stack, fired, report.Findings)
		}
	}
	c := injection{rule: "alb-waf", typ: "aws:lb/loadBalancer:LoadBalancer", name: "cluster-alb", change: func(_ *harness.Resource, in map[string]any) { in["internal"] = true }}
	if report := policy.Evaluate(inject(t, withoutWaf(stacktest.Live), c), settings(t, stacktest.Live)); !report.Passed() {
		t.Errorf("an internal load balancer needs no web ACL: %+v", report.Findings)
	}
}

// Every generated password in a Secrets Manager secret carries its rotation
// keeper; one without is reported on the secret, as Checkov reports it.
func TestGeneratedPasswordWithoutRotationKeeperIsReported(t *testing.T) {
	t.Parallel()
	for _, pw := range []struct{ password, secret string }{
		{"postgres-kong-password", "postgres-kong"}, {"postgres-camunda-password", "postgres-camunda"},
		{"postgres-root-password", "postgres-root"}, {"mongo-user-password", "mongo-user"},
	} {
		c := injection{rule: "secrets-rotated", typ: "random:index/randomPassword:RandomPassword", name: pw.password, change: func(_ *harness.Resource, in map[string]any) { delete(in, "keepers") }}
		report := policy.Evaluate(inject(t, stacktest.Resolved(t, stacktest.Live), c), settings(t, stacktest.Live))
		found := false
		for _, f := range report.Findings {
			if f.Rule == c.rule {
				found = f.Name == pw.secret && f.Severity == policy.Advisory && strings.Contains(f.Message, pw.password) && slices.Contains(f.Controls, "CKV2_AWS_57")
			}
		}
		if !found || !report.Passed() {
			t.Errorf("%s without a keeper: want one advisory finding on %s; got %+v", pw.password, pw.secret, report.Findings)
		}
	}
}

// pulumi-eks's own node security group is reported as the exception it is,
// and the finding goes once the component can skip it (pulumi-eks v3).
func TestPulumiEksNodeSecurityGroupIsADocumentedException(t *testing.T) {
	t.Parallel()
	rule := policy.Find("eks-node-security-group")
	if rule == nil || rule.Severity != policy.Advisory || !slices.Contains(rule.Controls, "CKV2_AWS_5") || !slices.Contains(rule.Controls, "CKV_AWS_382") {
		t.Fatalf("rule %+v", rule)
	}
	count := func(rec *harness.Recording) (n int, msg string) {
		for _, f := range policy.Evaluate(rec, settings(t, stacktest.Live)).Findings {
			if f.Rule == rule.Name {
				n, msg = n+1, f.Message
			}
		}
		return n, msg
	}
	if n, msg := count(stacktest.Resolved(t, stacktest.Live)); n != 1 || !strings.Contains(msg, "pulumi-eks v2.8.1") || !strings.Contains(msg, "before v3") {
		t.Errorf("%d findings, %q", n, msg)
	}
	v3 := injection{typ: "eks:index:Cluster", name: "cluster-eks", change: func(_ *harness.Resource, in map[string]any) { in["skipDefaultSecurityGroups"] = true }}
	if n, _ := count(inject(t, stacktest.Resolved(t, stacktest.Live), v3)); n != 0 {
		t.Errorf("skipDefaultSecurityGroups set, still %d findings", n)
	}
}

// A tag value the stack stores encrypted (an owner set with --secret) is a
// secret in every input; the tag rules compare it all the same, and a
// finding shows it only as a secret.
func TestSecretTagValuesAreComparedNeverShown(t *testing.T) {
	t.Parallel()
	opts := stacktest.Options(t, stacktest.Live)
	opts.Resolve = true
	opts.Config["bpa:owner"] = harness.SecretPlaceholder
	opts.SecretKeys = append(opts.SecretKeys, "bpa:owner")
	rec, err := harness.Run(bpa.Program, opts)
	if err != nil {
		t.Fatal(err)
	}
	s := settings(t, stacktest.Live)
	s.RequiredTags = map[string]string{"customer": "example", "environment": stacktest.Live, "owner": harness.SecretPlaceholder}
	for _, f := range policy.Evaluate(rec, s).Findings {
		if strings.HasSuffix(f.Rule, "tags") {
			t.Errorf("%s on %s: %s", f.Rule, f.Name, f.Message)
		}
	}
	s.RequiredTags["owner"] = "someone-else@example.com"
	report := policy.Evaluate(rec, s)
	tagFindings := 0
	for _, f := range report.Findings {
		if strings.HasSuffix(f.Rule, "tags") {
			tagFindings++
			if strings.Contains(f.Message, harness.SecretPlaceholder) || !strings.Contains(f.Message, `owner="[secret]"`) {
				t.Fatalf("%s: %s", f.Rule, f.Message)
			}
		}
	}
	if tagFindings == 0 {
		t.Error("a wrong owner was not caught")
	}
}

// The pack runs a rule without Stack as a resource policy, which sees one
// resource and its providers, before the resource's step; a Stack rule
// runs over the whole stack. Each rule must read what its scope gives it.
func TestRuleScopeMatchesWhatTheRuleReads(t *testing.T) {
	reaches := map[string]bool{}
	for _, stack := range stacktest.EveryStack(t) {
		rec := stacktest.Resolved(t, stack)
		p := policy.NewPlan(rec, settings(t, stack))
		for i := range policy.Rules {
			rule := &policy.Rules[i]
			for _, r := range rec.Resources {
				if !rule.AppliesTo(r.Type) || !policy.ReachesOut(rule, p, r.URN) {
					continue
				}
				reaches[rule.Name] = true
				if !rule.Stack {
					t.Errorf("%s: %s judging %s reads other resources: mark it Stack", stack, rule.Name, r.Name)
				}
			}
		}
	}
	for _, rule := range policy.Rules {
		if rule.Stack && !reaches[rule.Name] {
			t.Errorf("%s is a Stack rule but reads only the resource it judges: run it as a resource policy, before the step", rule.Name)
		}
	}
}
