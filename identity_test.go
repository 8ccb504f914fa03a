package bpa_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/policy"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
)

// identityInputs are, per stateful type, the inputs that name the resource
// or force the provider to replace it when they change (the providers'
// ForceNew / replaceOnChanges fields). A routine change must leave them,
// and the URN, alone.
var identityInputs = map[string][]string{
	"aws:rds/instance:Instance":                          {"identifier", "engine", "username", "dbName", "storageEncrypted", "kmsKeyId", "dbSubnetGroupName", "availabilityZone", "port"},
	"aws:rds/parameterGroup:ParameterGroup":              {"name", "family", "description"},
	"aws:kms/key:Key":                                    {"customerMasterKeySpec", "keyUsage", "multiRegion"},
	"aws:ecr/repository:Repository":                      {"name", "encryptionConfigurations"},
	"eks:index:Cluster":                                  {"name", "vpcId", "privateSubnetIds", "serviceRole", "clusterSecurityGroup", "encryptionConfigKeyArn"},
	"mongodbatlas:index/advancedCluster:AdvancedCluster": {"name", "projectId"},
	"mongodbatlas:index/project:Project":                 {"name", "orgId"},
	"postgresql:index/role:Role":                         {"name"},
	"postgresql:index/database:Database":                 {"name"},
	"aws:secretsmanager/secret:Secret":                   {"name", "kmsKeyId"},
	"aws:s3/bucketV2:BucketV2":                           {"bucket", "bucketPrefix"},
}

// routineChanges are what operators change in a stack's life.
var routineChanges = map[string]map[string]string{
	"BPA node size and general node count": {"bpa:bpaNodeInstanceType": "m6i.4xlarge", "bpa:generalNodeCount": "5"},
	"RDS instance class and storage":       {"bpa:postgresInstanceClass": "db.m6i.2xlarge", "bpa:postgresAllocatedStorage": "600", "bpa:postgresBackupRetentionDays": "14"},
	"Atlas tier":                           {"bpa:atlasInstanceSize": "M40"},
	"Helm values and chart version":        {"bpa:helmValues": `{"replicaCount":2}`, "bpa:chartVersion": "4.0.4-1"},
	"tags":                                 {"bpa:extraTags": `{"cost-center":"cc-1234"}`, "bpa:owner": "another-team@example.com"},
	"Kubernetes version":                   {"bpa:kubernetesVersion": "1.36"},
	"log retention":                        {"bpa:flowLogRetentionDays": "731", "bpa:clusterLogRetentionDays": "731"},
}

// identities returns each stateful resource's identity inputs by URN.
func identities(t *testing.T, rec *harness.Recording) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, r := range rec.Resources {
		fields, ok := identityInputs[r.Type]
		if !ok {
			continue
		}
		in := r.Plain()
		id := map[string]any{"protect": r.Protect}
		for _, f := range fields {
			id[f] = in[f]
		}
		out[r.URN] = id
	}
	return out
}

func TestProdProtectsEveryStatefulResource(t *testing.T) {
	rec := stacktest.Preview(t, "prod")
	for _, typ := range policy.StatefulTypes {
		rs := rec.OfType(typ)
		if len(rs) == 0 {
			t.Errorf("prod has no %s", typ)
		}
		for _, r := range rs {
			if !r.Protect {
				t.Errorf("%s is not protected in prod", r.URN)
			}
		}
	}
	// The services' own protection stays on too, so a resource deleted outside
	// Pulumi is refused by AWS or Atlas as well.
	for typ, input := range map[string]string{
		"aws:rds/instance:Instance":                          "deletionProtection",
		"mongodbatlas:index/advancedCluster:AdvancedCluster": "terminationProtectionEnabled",
	} {
		for _, r := range rec.OfType(typ) {
			if stacktest.Input(r, input) != true {
				t.Errorf("%s: %s is not true in prod", r.URN, input)
			}
		}
	}
	for _, typ := range policy.StatefulTypes {
		if _, ok := identityInputs[typ]; !ok {
			t.Errorf("%s is stateful but has no identity inputs to hold stable", typ)
		}
	}
}

func TestRoutineChangesKeepStatefulIdentities(t *testing.T) {
	base := identities(t, stacktest.Preview(t, "prod"))
	if len(base) < 15 {
		t.Fatalf("only %d stateful resources found; the identity table no longer matches the program", len(base))
	}
	for name, change := range routineChanges {
		t.Run(name, func(t *testing.T) {
			rec, err := stacktest.Run(t, "prod", func(cfg map[string]string) {
				for k, v := range change {
					cfg[k] = v
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := compareIdentities(base, identities(t, rec)); diff != "" {
				t.Error(diff)
			}
		})
	}
}

// The comparison is not blind: renaming the customer renames everything.
func TestIdentityComparisonSeesARename(t *testing.T) {
	base := identities(t, stacktest.Preview(t, "prod"))
	rec, err := stacktest.Run(t, "prod", func(cfg map[string]string) { cfg["bpa:customer"] = "other" })
	if err != nil {
		t.Fatal(err)
	}
	if compareIdentities(base, identities(t, rec)) == "" {
		t.Error("a customer rename changed no stateful identity; the comparison sees nothing")
	}
}

func compareIdentities(base, got map[string]map[string]any) string {
	var diff string
	for urn, want := range base {
		have, ok := got[urn]
		if !ok {
			diff += fmt.Sprintf("\n%s is gone (renamed or removed: Pulumi would replace it)", urn)
			continue
		}
		for k, v := range want {
			if !reflect.DeepEqual(have[k], v) {
				diff += fmt.Sprintf("\n%s: %s changed from %v to %v", urn, k, v, have[k])
			}
		}
	}
	return diff
}
