package config_test

import (
	"errors"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/bpa-infra/bpa-infra/internal/config"
	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
	"github.com/bpa-infra/bpa-infra/network"
)

// minimal is the smallest valid stack: only the required keys, every other
// key taking its fixtureValues value.
func minimal() map[string]string {
	return map[string]string{
		"bpa:region":            "us-west-2",
		"bpa:availabilityZones": `["us-west-2a","us-west-2b","us-west-2c"]`,
		"bpa:customer":          "acme",
		"bpa:environment":       "prod",
		"bpa:owner":             "platform@example.com",
		"bpa:ecrImages":         `["bpa/core","bpa/ui"]`,
		"bpa:atlasOrgId":        "0123456789abcdef01234567",
		"bpa:certificateArn":    "arn:aws:acm:us-west-2:123456789012:certificate/00000000-0000-0000-0000-000000000000",
		"bpa:chart":             "./charts/bpa",
		"bpa:tlsCertificate":    "-----BEGIN CERTIFICATE-----",
		"bpa:tlsPrivateKey":     "-----BEGIN PRIVATE KEY-----",
	}
}

// secretKeys are the keys minimal() holds as if set with --secret.
var secretKeys = map[string]bool{"bpa:tlsCertificate": true, "bpa:tlsPrivateKey": true}

// parse treats secretKeys and the extra keys named as set with --secret.
func parse(cfg map[string]string, extraSecret ...string) (*config.Config, error) {
	secret := map[string]bool{}
	for k := range secretKeys {
		secret[k] = true
	}
	for _, k := range extraSecret {
		secret[k] = true
	}
	return parseWithSecrets(cfg, secret)
}

// fixtureValues stand in for Pulumi.yaml's defaults, which the CLI hands
// the program for every key a stack leaves out: the Live fixture's values
// of the keys Pulumi.yaml defaults. The fixture sets every key, so a test's
// expectations never follow a default that changed.
var fixtureValues = func() map[string]string {
	defaults, err := harness.ProjectDefaults("../..")
	if err != nil {
		panic(err)
	}
	live, err := harness.LoadFixture("../..", stacktest.Live)
	if err != nil {
		panic(err)
	}
	for k := range defaults {
		defaults[k] = live.Config[k]
	}
	return defaults
}()

// withDefaults looks a key up in cfg, else in defaults, as the CLI hands
// a stack's config to the program.
func withDefaults(cfg, defaults map[string]string) config.Lookup {
	return func(k string) (string, bool) {
		if v, ok := cfg[k]; ok {
			return v, ok
		}
		v, ok := defaults[k]
		return v, ok
	}
}

func parseWithSecrets(cfg map[string]string, secret map[string]bool) (*config.Config, error) {
	return parseOver(fixtureValues, cfg, secret)
}

// parseOver parses cfg, with defaults for every key it leaves out and the
// keys in secret set with --secret.
func parseOver(defaults, cfg map[string]string, secret map[string]bool) (*config.Config, error) {
	return config.ParseSource("test", config.Source{
		Lookup: withDefaults(cfg, defaults),
		// Only what the stack sets can be encrypted; defaults are plain.
		IsSecret: func(k string) bool { _, set := cfg[k]; return set && secret[k] },
		Keys:     slices.Sorted(maps.Keys(cfg)),
	})
}

// keyErrorCase is an invalid configuration: change turns minimal() into it,
// and parsing it must report a problem on key whose message contains says.
type keyErrorCase struct {
	change func(map[string]string)
	key    string
	says   string
}

// set is a keyErrorCase change that sets keys to values.
func set(values map[string]string) func(map[string]string) {
	return func(c map[string]string) {
		for k, v := range values {
			c[k] = v
		}
	}
}

// expectKeyErrors checks each case in a parallel subtest named after it;
// extraSecret is passed on to parse.
func expectKeyErrors(t *testing.T, cases map[string]keyErrorCase, extraSecret ...string) {
	t.Helper()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := minimal()
			tc.change(cfg)
			_, err := parse(cfg, extraSecret...)
			if err == nil {
				t.Fatal("invalid config accepted")
			}
			var ke *config.KeyError
			var all *config.Error
			if !errors.As(err, &all) {
				t.Fatalf("not a config error: %v", err)
			}
			found := false
			for _, e := range all.Errs {
				if errors.As(e, &ke) && ke.Key == tc.key && strings.Contains(ke.Msg, tc.says) {
					found = true
				}
			}
			if !found {
				t.Errorf("want an error on %s saying %q, got:\n%v", tc.key, tc.says, err)
			}
		})
	}
}

func TestIdentityAndNetworkSettingsDecodeFromTheirKeys(t *testing.T) {
	t.Parallel()
	cfg, err := parse(minimal())
	if err != nil {
		t.Fatal(err)
	}
	n := cfg.Network
	checks := map[string]bool{
		"vpcCidr 10.0.0.0/16":          n.VpcCidr == netip.MustParsePrefix("10.0.0.0/16"),
		"podCidr 100.64.0.0/16":        n.PodCidr == netip.MustParsePrefix("100.64.0.0/16"),
		"NAT per zone":                 n.NatGateways == network.NatPerAz,
		"flow logs kept a year":        n.FlowLogRetentionDays == 365,
		"interface endpoints on":       n.InterfaceEndpoints,
		"stateful resources protected": cfg.Protect,
		"bastion t3.micro":             n.BastionInstanceType == "t3.micro",
		"name prefix customer-env":     cfg.NamePrefix() == "acme-prod",
	}
	for what, ok := range checks {
		if !ok {
			t.Errorf("want %s", what)
		}
	}
	tags := cfg.Tags.Map()
	for k, want := range map[string]string{"customer": "acme", "environment": "prod", "owner": "platform@example.com", "managed-by": "pulumi"} {
		if tags[k] != want {
			t.Errorf("tag %s = %q, want %q", k, tags[k], want)
		}
	}
}

// The Live fixture's /16 with /19 private, /24 public and data and /18 pod
// subnets.
func TestSubnetLayoutFitsAndNeverOverlaps(t *testing.T) {
	t.Parallel()
	cfg, err := parse(minimal())
	if err != nil {
		t.Fatal(err)
	}
	l := cfg.Network.Subnets
	want := map[string][]string{
		"private": {"10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"},
		"public":  {"10.0.96.0/24", "10.0.97.0/24", "10.0.98.0/24"},
		"data":    {"10.0.99.0/24", "10.0.100.0/24", "10.0.101.0/24"},
		"pod":     {"100.64.0.0/18", "100.64.64.0/18", "100.64.128.0/18"},
	}
	got := map[string][]string{
		"private": strs(l.Private), "public": strs(l.Public),
		"data": strs(l.Data), "pod": strs(l.Pod),
	}
	for tier, w := range want {
		if strings.Join(got[tier], ",") != strings.Join(w, ",") {
			t.Errorf("%s subnets = %v, want %v", tier, got[tier], w)
		}
	}
	all := append(append(append(append([]netip.Prefix{}, l.Private...), l.Public...), l.Data...), l.Pod...)
	for i, a := range all {
		for _, b := range all[i+1:] {
			if a.Overlaps(b) {
				t.Errorf("%s overlaps %s", a, b)
			}
		}
	}
}

func TestEveryInvalidSettingIsReportedByKey(t *testing.T) {
	t.Parallel()
	expectKeyErrors(t, map[string]keyErrorCase{
		"missing region":           {func(c map[string]string) { delete(c, "bpa:region") }, "bpa:region", "is required"},
		"malformed region":         {func(c map[string]string) { c["bpa:region"] = "Oregon" }, "bpa:region", `"Oregon"`},
		"missing zones":            {func(c map[string]string) { delete(c, "bpa:availabilityZones") }, "bpa:availabilityZones", "is required"},
		"two zones":                {func(c map[string]string) { c["bpa:availabilityZones"] = `["us-west-2a","us-west-2b"]` }, "bpa:availabilityZones", "exactly three"},
		"repeated zone":            {func(c map[string]string) { c["bpa:availabilityZones"] = `["us-west-2a","us-west-2a","us-west-2b"]` }, "bpa:availabilityZones", "distinct"},
		"zone of another region":   {func(c map[string]string) { c["bpa:availabilityZones"] = `["us-west-2a","us-west-2b","us-east-1c"]` }, "bpa:availabilityZones", `"us-east-1c"`},
		"zones not a list":         {func(c map[string]string) { c["bpa:availabilityZones"] = "us-west-2a" }, "bpa:availabilityZones", "not a list"},
		"missing customer":         {func(c map[string]string) { delete(c, "bpa:customer") }, "bpa:customer", "is required"},
		"customer with capitals":   {func(c map[string]string) { c["bpa:customer"] = "ACME" }, "bpa:customer", `"ACME"`},
		"customer with underscore": {func(c map[string]string) { c["bpa:customer"] = "acme_corp" }, "bpa:customer", "hyphens"},
		"name prefix too long":     {func(c map[string]string) { c["bpa:customer"] = "a-very-long-customer-name" }, "bpa:customer", "at most 24"},
		"environment double dash":  {func(c map[string]string) { c["bpa:environment"] = "pr--od" }, "bpa:environment", `"pr--od"`},
		"missing owner":            {func(c map[string]string) { delete(c, "bpa:owner") }, "bpa:owner", "is required"},
		"owner not a tag value":    {func(c map[string]string) { c["bpa:owner"] = "team<script>" }, "bpa:owner", "tag value"},
		"extra tag overrides":      {func(c map[string]string) { c["bpa:extraTags"] = `{"owner":"x"}` }, "bpa:extraTags", "own key"},
		"extra tag aws prefix":     {func(c map[string]string) { c["bpa:extraTags"] = `{"aws:x":"y"}` }, "bpa:extraTags", "tag key"},
		"extra tags not an object": {func(c map[string]string) { c["bpa:extraTags"] = `["a"]` }, "bpa:extraTags", "not a valid object"},
		"waiver name malformed": {func(c map[string]string) {
			c["bpa:policyWaivers"] = `{"Alb Logs":"kept in the customer's central bucket"}`
		}, "bpa:policyWaivers", "not a rule name"},
		"waiver without reason":   {func(c map[string]string) { c["bpa:policyWaivers"] = `{"alb-access-logs":"n/a"}` }, "bpa:policyWaivers", "needs a reason"},
		"protect not a boolean":   {func(c map[string]string) { c["bpa:protect"] = "yes" }, "bpa:protect", "not a boolean"},
		"vpc cidr malformed":      {func(c map[string]string) { c["bpa:vpcCidr"] = "10.0.0.0/33" }, "bpa:vpcCidr", "not an IPv4 CIDR"},
		"deployer anywhere":       {func(c map[string]string) { c["bpa:deployerCidrs"] = `["0.0.0.0/0"]` }, "bpa:deployerCidrs", "whole internet"},
		"deployer sg malformed":   {func(c map[string]string) { c["bpa:deployerSecurityGroupId"] = "sg-xyz" }, "bpa:deployerSecurityGroupId", "not a security group id"},
		"vpc cidr host bits":      {func(c map[string]string) { c["bpa:vpcCidr"] = "10.0.0.1/16" }, "bpa:vpcCidr", "host bits"},
		"vpc cidr too big":        {func(c map[string]string) { c["bpa:vpcCidr"] = "10.0.0.0/8" }, "bpa:vpcCidr", "between /16 and /28"},
		"vpc cidr public":         {func(c map[string]string) { c["bpa:vpcCidr"] = "8.8.0.0/16" }, "bpa:vpcCidr", "RFC 1918"},
		"vpc too small for tiers": {func(c map[string]string) { c["bpa:vpcCidr"] = "10.0.0.0/20" }, "bpa:vpcCidr", "cannot hold"},
		"pod cidr overlaps vpc":   {func(c map[string]string) { c["bpa:vpcCidr"] = "100.64.0.0/16" }, "bpa:podCidr", "overlaps"},
		"pod cidr outside cgnat":  {func(c map[string]string) { c["bpa:podCidr"] = "192.168.0.0/16" }, "bpa:podCidr", "100.64.0.0/10"},
		"pod subnets do not fit":  {func(c map[string]string) { c["bpa:podSubnetPrefix"] = "16" }, "bpa:podCidr", "cannot hold"},
		"subnet prefix not int":   {func(c map[string]string) { c["bpa:publicSubnetPrefix"] = "/24" }, "bpa:publicSubnetPrefix", "not an integer"},
		"subnet prefix too small": {func(c map[string]string) { c["bpa:dataSubnetPrefix"] = "29" }, "bpa:dataSubnetPrefix", "/16 to /28"},
		"nat mode unknown":        {func(c map[string]string) { c["bpa:natGateways"] = "two" }, "bpa:natGateways", `"two"`},
		"retention not allowed":   {func(c map[string]string) { c["bpa:flowLogRetentionDays"] = "10" }, "bpa:flowLogRetentionDays", "retention period"},
		"retention not a number":  {func(c map[string]string) { c["bpa:flowLogRetentionDays"] = "ten" }, "bpa:flowLogRetentionDays", "not an integer"},
		"endpoints not a boolean": {func(c map[string]string) { c["bpa:interfaceEndpoints"] = "maybe" }, "bpa:interfaceEndpoints", "not a boolean"},
		"bastion type empty":      {func(c map[string]string) { c["bpa:bastionInstanceType"] = " " }, "bpa:bastionInstanceType", "not an EC2 instance type"},
	})
}

func TestAllProblemsAreReportedTogether(t *testing.T) {
	t.Parallel()
	cfg := minimal()
	cfg["bpa:region"] = "nowhere"
	cfg["bpa:vpcCidr"] = "not-a-cidr"
	cfg["bpa:natGateways"] = "lots"
	delete(cfg, "bpa:owner")
	_, err := parse(cfg)
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, key := range []string{"bpa:region", "bpa:vpcCidr", "bpa:natGateways", "bpa:owner"} {
		if !strings.Contains(err.Error(), key+":") {
			t.Errorf("error does not name %s:\n%v", key, err)
		}
	}
}

func strs(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}
