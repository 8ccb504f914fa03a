package cluster_test

import (
	"slices"
	"testing"

	"github.com/bpa-infra/bpa-infra/cluster"
	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
)

const (
	webACLType      = "aws:wafv2/webAcl:WebAcl"
	webACLAssocType = "aws:wafv2/webAclAssociation:WebAclAssociation"
)

// A protected stack's internet-facing load balancer is behind a regional
// web ACL that allows by default and runs the three AWS managed rule groups,
// each recording metrics and sampled requests (Checkov CKV2_AWS_28); a
// throw-away stack has none unless it asks.
func TestProtectedStacksPutAWebACLWithAWSManagedRulesInFrontOfTheLoadBalancer(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		acl, assoc := rec.Find(webACLType, "cluster-waf"), rec.Find(webACLAssocType, "cluster-waf")
		settings := "bpa:protect " + stacktest.Setting(t, stack, "bpa:protect") + ", bpa:loadBalancerWaf " + stacktest.Setting(t, stack, "bpa:loadBalancerWaf")
		if !wafExpected(t, stack) {
			if acl != nil || assoc != nil {
				t.Errorf("the stack (%s) has a web ACL", settings)
			}
			return
		}
		if acl == nil || assoc == nil {
			t.Fatalf("the stack (%s) has no web ACL in front of its load balancer", settings)
		}
		prefix := stacktest.NamePrefix(t, stack)
		alb := stacktest.Must(t, rec, lbType, "cluster-alb")
		if !dependsOnInput(assoc, "resourceArn", alb) || !dependsOnInput(assoc, "webAclArn", acl) {
			t.Errorf("the association links %v to %v", assoc.PropertyDependencies["webAclArn"], assoc.PropertyDependencies["resourceArn"])
		}
		for path, want := range map[string]any{
			"name": prefix + "-bpa", "scope": "REGIONAL",
			"visibilityConfig.cloudwatchMetricsEnabled": true, "visibilityConfig.sampledRequestsEnabled": true,
			"visibilityConfig.metricName": prefix + "-bpa-waf",
		} {
			if got := stacktest.Input(acl, path); got != want {
				t.Errorf("web ACL %s = %v, want %v", path, got, want)
			}
		}
		if allow, ok := stacktest.Input(acl, "defaultAction.allow").(map[string]any); !ok || len(allow) != 0 || stacktest.Input(acl, "defaultAction.block") != nil {
			t.Errorf("default action %v, want allow", stacktest.Input(acl, "defaultAction"))
		}
		rules, _ := stacktest.Input(acl, "rules").([]any)
		var groups []string
		for i, r := range rules {
			rule := r.(map[string]any)
			name, _ := harness.Dig(rule, "statement.managedRuleGroupStatement.name").(string)
			groups = append(groups, name)
			checks := map[string]any{
				"name": name, "priority": float64(i),
				"statement.managedRuleGroupStatement.vendorName": "AWS",
				"visibilityConfig.cloudwatchMetricsEnabled":      true,
				"visibilityConfig.sampledRequestsEnabled":        true,
				"visibilityConfig.metricName":                    prefix + "-" + name,
				"action":                                         nil,
			}
			for path, want := range checks {
				if got := harness.Dig(rule, path); got != want {
					t.Errorf("rule %s %s = %v, want %v", name, path, got, want)
				}
			}
			// The group's own actions apply: blocks block.
			if none, ok := harness.Dig(rule, "overrideAction.none").(map[string]any); !ok || len(none) != 0 {
				t.Errorf("rule %s override action %v, want none", name, harness.Dig(rule, "overrideAction"))
			}
			var counted []string
			for _, o := range asList(harness.Dig(rule, "statement.managedRuleGroupStatement.ruleActionOverrides")) {
				if harness.Dig(o, "actionToUse.count") != nil {
					counted = append(counted, harness.Dig(o, "name").(string))
				}
			}
			if want := cluster.WafCountedRules[name]; !slices.Equal(counted, want) {
				t.Errorf("rule %s counts %v, want only %v", name, counted, want)
			}
		}
		if want := []string{"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList"}; !slices.Equal(groups, want) {
			t.Errorf("rule groups %v, want %v", groups, want)
		}
	})
}

func TestWebACLFollowsTheWafSetting(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		stack, waf string
		want       bool
	}{{stacktest.Lab, "on", true}, {stacktest.Live, "off", false}} {
		rec, err := stacktest.Run(t, c.stack, func(cfg map[string]string) { cfg["bpa:loadBalancerWaf"] = c.waf })
		if err != nil {
			t.Fatal(err)
		}
		for _, typ := range []string{webACLType, webACLAssocType} {
			if got := rec.Find(typ, "cluster-waf") != nil; got != c.want {
				t.Errorf("%s with bpa:loadBalancerWaf %s: %s present %v, want %v", c.stack, c.waf, typ, got, c.want)
			}
		}
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
