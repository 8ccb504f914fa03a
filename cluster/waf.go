package cluster

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/wafv2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// WafManagedRuleGroups are the AWS managed rule groups the load balancer's
// web ACL evaluates, in priority order: the OWASP-style baseline, known bad
// inputs (Log4j and other exploit payloads), and Amazon's IP reputation
// list. All three are included in the web ACL's per-rule price (no
// subscription) and together use 925 of the 1,500 web ACL capacity units
// that the base price covers (700 + 200 + 25).
var WafManagedRuleGroups = []string{
	"AWSManagedRulesCommonRuleSet",
	"AWSManagedRulesKnownBadInputsRuleSet",
	"AWSManagedRulesAmazonIpReputationList",
}

// WafCountedRules are rules of the managed groups that only count, not
// block, by group. SizeRestrictions_BODY blocks every request whose body is
// over 8 KB; BPA's workflow, template and file uploads can be larger, so it
// counts (metrics and samples show how often) until the traffic shows it
// may block. The rest of the common rule set still inspects the first 8 KB
// of each body, all an Application Load Balancer hands to WAF.
var WafCountedRules = map[string][]string{
	"AWSManagedRulesCommonRuleSet": {"SizeRestrictions_BODY"},
}

// loadBalancerWaf puts an AWS WAF web ACL in front of the internet-facing
// load balancer (Checkov CKV2_AWS_28): requests are allowed unless a managed
// rule group blocks them, and every rule reports CloudWatch metrics and
// sampled requests, so a false positive can be found and counted instead.
// Nothing is created when bpa:loadBalancerWaf resolves to off.
func (b *builder) loadBalancerWaf() error {
	if !b.args.LoadBalancer.Waf {
		return nil
	}
	metric := func(name string) pulumi.StringInput { return pulumi.String(b.args.NamePrefix + "-" + name) }
	var rules wafv2.WebAclRuleArray
	for i, group := range WafManagedRuleGroups {
		statement := &wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs{
			Name:       pulumi.String(group),
			VendorName: pulumi.String("AWS"),
		}
		if counted := WafCountedRules[group]; len(counted) > 0 {
			var overrides wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideArray
			for _, rule := range counted {
				overrides = append(overrides, wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideArgs{
					Name: pulumi.String(rule),
					ActionToUse: wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseArgs{
						Count: &wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseCountArgs{},
					},
				})
			}
			statement.RuleActionOverrides = overrides
		}
		rules = append(rules, wafv2.WebAclRuleArgs{
			Name:     pulumi.String(group),
			Priority: pulumi.Int(i),
			// The group's own actions apply (override action none), but for
			// the rules WafCountedRules names.
			OverrideAction: &wafv2.WebAclRuleOverrideActionArgs{None: &wafv2.WebAclRuleOverrideActionNoneArgs{}},
			Statement:      wafv2.WebAclRuleStatementArgs{ManagedRuleGroupStatement: statement},
			VisibilityConfig: wafv2.WebAclRuleVisibilityConfigArgs{
				CloudwatchMetricsEnabled: pulumi.Bool(true),
				MetricName:               metric(group),
				SampledRequestsEnabled:   pulumi.Bool(true),
			},
		})
	}
	acl, err := wafv2.NewWebAcl(b.ctx, b.name+"-waf", &wafv2.WebAclArgs{
		Name:          pulumi.String(b.args.NamePrefix + "-bpa"),
		Description:   pulumi.String("BPA load balancer of " + b.args.NamePrefix + ": AWS managed rules"),
		Scope:         pulumi.String("REGIONAL"),
		DefaultAction: wafv2.WebAclDefaultActionArgs{Allow: &wafv2.WebAclDefaultActionAllowArgs{}},
		Rules:         rules,
		VisibilityConfig: wafv2.WebAclVisibilityConfigArgs{
			CloudwatchMetricsEnabled: pulumi.Bool(true),
			MetricName:               metric("bpa-waf"),
			SampledRequestsEnabled:   pulumi.Bool(true),
		},
		Tags: b.tags("bpa-waf"),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("create load balancer web ACL: %w", err)
	}
	// The provider retries while WAF answers WAFUnavailableEntityException,
	// as it does for a web ACL or load balancer created moments before.
	if _, err := wafv2.NewWebAclAssociation(b.ctx, b.name+"-waf", &wafv2.WebAclAssociationArgs{
		ResourceArn: b.alb.Arn,
		WebAclArn:   acl.Arn,
	}, b.parent); err != nil {
		return fmt.Errorf("associate the web ACL with the load balancer: %w", err)
	}
	return nil
}
