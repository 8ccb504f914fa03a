package config_test

import (
	"strings"
	"testing"
)

// Presence is not enough: a required key set to nothing is refused by
// name, before any resource exists.
func TestEmptyRequiredKeysAreRefusedByName(t *testing.T) {
	t.Parallel()
	cases := map[string]keyErrorCase{}
	for _, key := range []string{"region", "customer", "environment", "owner", "certificateArn"} {
		cases[key] = keyErrorCase{set(map[string]string{"bpa:" + key: "  "}), "bpa:" + key, "is empty"}
	}
	expectKeyErrors(t, cases)
}

// A misspelt key would otherwise leave its setting at the default.
func TestUndeclaredKeysAreRefusedNamingTheClosest(t *testing.T) {
	t.Parallel()
	expectKeyErrors(t, map[string]keyErrorCase{
		"typo":        {set(map[string]string{"bpa:natGateway": "single"}), "bpa:natGateway", "did you mean bpa:natGateways?"},
		"secure typo": {set(map[string]string{"bpa:tlsCertficate": "x"}), "bpa:tlsCertficate", "did you mean bpa:tlsCertificate?"},
		"other case":  {set(map[string]string{"bpa:Region": "us-west-2"}), "bpa:Region", "did you mean bpa:region?"},
		"made-up":     {set(map[string]string{"bpa:replicas": "3"}), "bpa:replicas", "not a setting of this program"},
	}, "bpa:tlsCertficate")
}

func TestValuesNoCloudAcceptsAreRefused(t *testing.T) {
	t.Parallel()
	expectKeyErrors(t, map[string]keyErrorCase{
		"region that does not exist": {set(map[string]string{
			"bpa:region": "us-west-3", "bpa:availabilityZones": `["us-west-3a","us-west-3b","us-west-3c"]`,
			"bpa:certificateArn": "arn:aws:acm:us-west-3:123456789012:certificate/00000000-0000-0000-0000-000000000000",
		}), "bpa:region", "not an AWS region"},
		"zone letter":         {set(map[string]string{"bpa:availabilityZones": `["us-west-2a","us-west-2b","us-west-2z"]`}), "bpa:availabilityZones", "not a zone"},
		"instance type form":  {set(map[string]string{"bpa:bastionInstanceType": "t3-micro"}), "bpa:bastionInstanceType", "not an EC2 instance type"},
		"string given a list": {set(map[string]string{"bpa:owner": `["a","b"]`}), "bpa:owner", "declares it string"},
	})
}

// Valid edge cases still pass: another region with its zones, a name at
// the length limit.
func TestValidEdgeCasesPass(t *testing.T) {
	t.Parallel()
	for name, change := range map[string]map[string]string{
		"eu-west-1": {"bpa:region": "eu-west-1", "bpa:availabilityZones": `["eu-west-1a","eu-west-1b","eu-west-1c"]`,
			"bpa:certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"},
		"name prefix of 24 characters": {"bpa:customer": "globex-industries-x", "bpa:environment": "prod"},
		"instance type with a suffix":  {"bpa:bastionInstanceType": "m7i-flex.large"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := minimal()
			for k, v := range change {
				cfg[k] = v
			}
			if _, err := parse(cfg); err != nil {
				t.Error(err)
			}
		})
	}
}

// "Prints every problem" is every problem: a type error does not hide a
// value error.
func TestTypeAndValueErrorsAreReportedTogether(t *testing.T) {
	t.Parallel()
	cfg := minimal()
	cfg["bpa:protect"] = "maybe"
	cfg["bpa:customer"] = "Acme Corp"
	_, err := parse(cfg)
	if err == nil || !strings.Contains(err.Error(), "bpa:protect") || !strings.Contains(err.Error(), "bpa:customer") {
		t.Errorf("want both problems, got %v", err)
	}
}

// No message echoes a value the stack marks secret, whatever the check.
func TestErrorsNeverEchoASecretValue(t *testing.T) {
	t.Parallel()
	const secret = "0123456789abcdef0123456g"
	cfg := minimal()
	cfg["bpa:atlasOrgId"] = secret
	cfg["bpa:owner"] = `["-----BEGIN PRIVATE KEY-----", "MIIEv"]`
	cfg["bpa:customer"] = "Secret Corp"
	_, err := parse(cfg, "bpa:atlasOrgId", "bpa:owner", "bpa:customer")
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, leak := range []string{secret, "BEGIN PRIVATE KEY", "Secret Corp"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("error shows %q:\n%v", leak, err)
		}
	}
	for _, key := range []string{"bpa:atlasOrgId", "bpa:owner", "bpa:customer"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %s:\n%v", key, err)
		}
	}
}
