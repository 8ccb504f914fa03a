package cluster_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/bpa-infra/bpa-infra/cluster"
	"github.com/bpa-infra/bpa-infra/internal/cloudfake"
	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
)

const bundleBucket = "cluster-bundle"

// policyStatement is one statement of an IAM policy document.
type policyStatement struct {
	Sid, Effect string
	Principal   map[string][]string
	Action      []string
	Resource    []string
	Condition   map[string]map[string][]string
}

func policyStatements(t *testing.T, r *harness.Resource) []policyStatement {
	t.Helper()
	text, ok := stacktest.Input(r, "policy").(string)
	if !ok {
		t.Fatalf("%s policy is not known: %v", r.Name, stacktest.Input(r, "policy"))
	}
	var doc struct{ Statement []policyStatement }
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("%s policy: %v", r.Name, err)
	}
	return doc.Statement
}

// arnOf is the ARN the resolved run gives a resource.
func arnOf(r *harness.Resource) string {
	return cloudfake.Outputs(r.Type, r.Name, r.Inputs)["arn"].StringValue()
}

// The node role attaches exactly the four data volumes, only to the
// cluster's own instances, and reads only the bundle.
func TestNodeRoleMayAttachOnlyTheDataVolumesToClusterInstancesAndReadOnlyTheBundle(t *testing.T) {
	t.Parallel()
	stacktest.ForEachResolvedStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		policy := stacktest.Must(t, rec, policyType, "cluster-nodes-bpa-data")
		if !dependsOnInput(policy, "role", stacktest.Must(t, rec, "aws:iam/role:Role", "cluster-nodes")) {
			t.Error("the data policy is not on the node role")
		}
		bucket := stacktest.Must(t, rec, bucketType, bundleBucket)
		var volumes []string
		for _, n := range cluster.Nodes {
			vol := stacktest.Must(t, rec, volumeType, "cluster-data-"+n.Name)
			if !dependsOnInput(policy, "policy", vol) {
				t.Errorf("the data policy does not name %s's volume", n.Name)
			}
			volumes = append(volumes, arnOf(vol))
		}
		want := map[string]policyStatement{
			"FindDataVolume":      {Action: []string{"ec2:DescribeVolumes"}, Resource: []string{"*"}},
			"AttachOwnDataVolume": {Action: []string{"ec2:AttachVolume"}, Resource: volumes},
			"AttachToClusterInstances": {
				Action:    []string{"ec2:AttachVolume"},
				Resource:  []string{"arn:aws:ec2:" + stackRegion(t, stack) + ":" + harness.MockAccountID + ":instance/*"},
				Condition: map[string]map[string][]string{"StringEquals": {"aws:ResourceTag/eks:cluster-name": {stacktest.NamePrefix(t, stack)}}},
			},
			"ListBundle": {
				Action:    []string{"s3:ListBucket"},
				Resource:  []string{arnOf(bucket)},
				Condition: map[string]map[string][]string{"StringLike": {"s3:prefix": {cluster.BundlePrefix + "/*"}}},
			},
			"ReadBundle": {Action: []string{"s3:GetObject"}, Resource: []string{arnOf(bucket) + "/" + cluster.BundlePrefix + "/*"}},
		}
		statements := policyStatements(t, policy)
		if len(statements) != len(want) {
			t.Errorf("%d statements, want %d", len(statements), len(want))
		}
		for _, s := range statements {
			w, ok := want[s.Sid]
			if !ok {
				t.Errorf("unexpected statement %+v", s)
				continue
			}
			if s.Effect != "Allow" || s.Principal != nil || !slices.Equal(s.Action, w.Action) || !slices.Equal(s.Resource, w.Resource) ||
				!sameConditions(s.Condition, w.Condition) {
				t.Errorf("statement %s = %+v, want %+v", s.Sid, s, w)
			}
		}
	})
}

func sameConditions(a, b map[string]map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for test, vars := range a {
		if len(vars) != len(b[test]) {
			return false
		}
		for v, values := range vars {
			if !slices.Equal(values, b[test][v]) {
				return false
			}
		}
	}
	return true
}

// The bundle bucket holds the BPA release every node copies: versioned so a
// bad upload can be rolled back, encrypted, private, TLS only, and kept
// with its contents by a protected stack.
func TestBundleBucketIsVersionedEncryptedPrivateTLSOnlyAndProtectedWhereTheStackIsProtected(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		bucket := stacktest.Must(t, rec, bucketType, bundleBucket)
		protect := stacktest.Protected(t, stack)
		if bucket.Protect != protect || stacktest.Input(bucket, "forceDestroy") != !protect {
			t.Errorf("bucket protect %v, forceDestroy %v, want protect %v (bpa:protect)", bucket.Protect, stacktest.Input(bucket, "forceDestroy"), protect)
		}
		if stacktest.Input(bucket, "bucketPrefix") != stacktest.NamePrefix(t, stack)+"-bpa-bundle-" || stacktest.Input(bucket, "bucket") != nil {
			t.Errorf("bucket %v, prefix %v", stacktest.Input(bucket, "bucket"), stacktest.Input(bucket, "bucketPrefix"))
		}
		settings := map[string]map[string]any{
			"aws:s3/bucketVersioningV2:BucketVersioningV2": {"versioningConfiguration.status": "Enabled"},
			"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": {
				"rules.0.applyServerSideEncryptionByDefault.sseAlgorithm": "AES256",
			},
			"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {
				"blockPublicAcls": true, "blockPublicPolicy": true, "ignorePublicAcls": true, "restrictPublicBuckets": true,
			},
			// An interrupted aws s3 sync leaves billed parts (CKV_AWS_300);
			// noncurrent versions stay: they are the rollback.
			"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2": {
				"rules.0.id": "abort-incomplete-uploads", "rules.0.status": "Enabled",
				"rules.0.abortIncompleteMultipartUpload.daysAfterInitiation": float64(cluster.AbortIncompleteUploadDays),
				"rules.0.noncurrentVersionExpiration":                        nil, "rules.0.expiration": nil, "rules.1": nil,
			},
		}
		for typ, want := range settings {
			r := stacktest.Must(t, rec, typ, bundleBucket)
			if !slices.Contains(r.PropertyDependencies["bucket"], bucket.URN) {
				t.Errorf("%s does not configure the bundle bucket", typ)
			}
			for path, v := range want {
				if got := stacktest.Input(r, path); got != v {
					t.Errorf("%s %s = %v, want %v", typ, path, got, v)
				}
			}
		}
		policy := stacktest.Must(t, rec, bucketPolicyType, bundleBucket)
		if !slices.Contains(policy.PropertyDependencies["bucket"], bucket.URN) {
			t.Error("the TLS policy is not on the bundle bucket")
		}
		if !rec.DependsOn(policy, stacktest.Must(t, rec, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", bundleBucket)) {
			t.Error("the bucket policy does not wait for the public access block")
		}
		// No local bundle is configured: nothing is uploaded.
		for _, r := range rec.OfType("aws:s3/bucketObjectv2:BucketObjectv2") {
			if strings.HasPrefix(r.Name, bundleBucket) {
				t.Errorf("%s uploaded though bpa:bpaBundlePath is unset", r.Name)
			}
		}
	})
}

func TestBundleBucketDeniesEverythingButTLS(t *testing.T) {
	t.Parallel()
	stacktest.ForEachResolvedStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		bucket := arnOf(stacktest.Must(t, rec, bucketType, bundleBucket))
		statements := policyStatements(t, stacktest.Must(t, rec, bucketPolicyType, bundleBucket))
		if len(statements) != 1 {
			t.Fatalf("%d statements, want only the TLS guard", len(statements))
		}
		tls := statements[0]
		if tls.Effect != "Deny" || !slices.Equal(tls.Principal["AWS"], []string{"*"}) || !slices.Equal(tls.Action, []string{"s3:*"}) ||
			!slices.Equal(tls.Resource, []string{bucket, bucket + "/*"}) ||
			!sameConditions(tls.Condition, map[string]map[string][]string{"Bool": {"aws:SecureTransport": {"false"}}}) {
			t.Errorf("TLS guard %+v", tls)
		}
	})
}
