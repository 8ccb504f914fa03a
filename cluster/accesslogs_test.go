package cluster_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/bpa-infra/bpa-infra/cluster"
	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
)

const (
	bucketType       = "aws:s3/bucketV2:BucketV2"
	bucketPolicyType = "aws:s3/bucketPolicy:BucketPolicy"
	logBucket        = "cluster-alb-logs"
)

// The load balancer logs every request to a private, encrypted bucket that
// keeps the logs as long as the stack says, and that only a protected stack
// refuses to delete with its logs.
func TestLoadBalancerWritesAccessLogsToAPrivateEncryptedBucket(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		days := stacktest.SettingInt(t, stack, "bpa:loadBalancerAccessLogDays")
		if days == 0 {
			// Access logs off (TestAccessLogsCanBeTurnedOff checks what is left).
			if r := rec.Find(bucketType, logBucket); r != nil {
				t.Errorf("bpa:loadBalancerAccessLogDays is 0 but %s exists", logBucket)
			}
			return
		}
		bucket := stacktest.Must(t, rec, bucketType, logBucket)
		protect := stacktest.Protected(t, stack)
		if bucket.Protect != protect || stacktest.Input(bucket, "forceDestroy") != !protect {
			t.Errorf("bucket protect %v, forceDestroy %v, want protect %v (bpa:protect)", bucket.Protect, stacktest.Input(bucket, "forceDestroy"), protect)
		}
		if stacktest.Input(bucket, "bucketPrefix") != stacktest.NamePrefix(t, stack)+"-alb-logs-" {
			t.Errorf("bucketPrefix %v", stacktest.Input(bucket, "bucketPrefix"))
		}
		settings := map[string]map[string]any{
			"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": {
				"rules.0.applyServerSideEncryptionByDefault.sseAlgorithm": "AES256",
			},
			"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {
				"blockPublicAcls": true, "blockPublicPolicy": true, "ignorePublicAcls": true, "restrictPublicBuckets": true,
			},
			"aws:s3/bucketOwnershipControls:BucketOwnershipControls": {"rule.objectOwnership": "BucketOwnerEnforced"},
			// Versioned (CKV_AWS_21): a log deleted or overwritten by hand
			// can be recovered.
			"aws:s3/bucketVersioningV2:BucketVersioningV2": {"versioningConfiguration.status": "Enabled"},
			"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2": {
				"rules.0.id": "expire-access-logs", "rules.0.status": "Enabled", "rules.0.filter.prefix": cluster.AccessLogPrefix + "/",
				"rules.0.expiration.days": float64(days),
				// Versioning keeps what expires: the old versions go too.
				"rules.0.noncurrentVersionExpiration.noncurrentDays": float64(cluster.AccessLogNoncurrentDays),
				// Interrupted uploads anywhere in the bucket (CKV_AWS_300).
				"rules.1.id": "abort-incomplete-uploads", "rules.1.status": "Enabled",
				"rules.1.abortIncompleteMultipartUpload.daysAfterInitiation": float64(cluster.AbortIncompleteUploadDays),
			},
		}
		for typ, want := range settings {
			r := stacktest.Must(t, rec, typ, logBucket)
			if !slices.Contains(r.PropertyDependencies["bucket"], bucket.URN) {
				t.Errorf("%s does not configure the log bucket", typ)
			}
			for path, v := range want {
				if got := stacktest.Input(r, path); got != v {
					t.Errorf("%s %s = %v, want %v", typ, path, got, v)
				}
			}
		}

		lifecycle := stacktest.Must(t, rec, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", logBucket)
		if filter, ok := stacktest.Input(lifecycle, "rules.1.filter").(map[string]any); !ok || len(filter) != 0 {
			t.Errorf("the abort rule's filter %v is not the whole bucket", stacktest.Input(lifecycle, "rules.1.filter"))
		}
		if !rec.DependsOn(lifecycle, stacktest.Must(t, rec, "aws:s3/bucketVersioningV2:BucketVersioningV2", logBucket)) {
			t.Error("the noncurrent-version rule does not wait for versioning")
		}
		if days := cluster.AccessLogNoncurrentDays; days < 7 || days > 90 {
			t.Errorf("noncurrent log versions kept %d days", cluster.AccessLogNoncurrentDays)
		}

		alb := stacktest.Must(t, rec, lbType, "cluster-alb")
		if stacktest.Input(alb, "accessLogs.enabled") != true || stacktest.Input(alb, "accessLogs.prefix") != cluster.AccessLogPrefix ||
			!slices.Contains(alb.PropertyDependencies["accessLogs"], bucket.URN) {
			t.Errorf("load balancer access logs: %v", stacktest.Input(alb, "accessLogs"))
		}
		// ELB checks at creation that it may write: the policy comes first.
		if !rec.DependsOn(alb, stacktest.Must(t, rec, bucketPolicyType, logBucket)) {
			t.Error("the load balancer does not wait for the bucket policy")
		}
	})
}

func TestOnlyTheRegionsLoadBalancerAccountMayWriteAndOnlyOverTLS(t *testing.T) {
	t.Parallel()
	stacktest.ForEachResolvedStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		var doc struct {
			Statement []struct {
				Sid, Effect string
				Principal   map[string][]string
				Action      []string
				Resource    []string
				Condition   map[string]map[string][]string
			}
		}
		if err := json.Unmarshal([]byte(stacktest.Input(stacktest.Must(t, rec, bucketPolicyType, logBucket), "policy").(string)), &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Statement) != 2 {
			t.Fatalf("%d statements, want the write grant and the TLS guard", len(doc.Statement))
		}
		write, tls := doc.Statement[0], doc.Statement[1]
		if write.Effect != "Allow" || !slices.Equal(write.Principal["AWS"], []string{"arn:aws:iam::797873946194:root"}) ||
			!slices.Equal(write.Action, []string{"s3:PutObject"}) || len(write.Resource) != 1 ||
			!strings.HasSuffix(write.Resource[0], "/"+cluster.AccessLogPrefix+"/AWSLogs/"+harness.MockAccountID+"/*") {
			t.Errorf("write grant %+v", write)
		}
		if tls.Effect != "Deny" || !slices.Equal(tls.Action, []string{"s3:*"}) ||
			!slices.Equal(tls.Condition["Bool"]["aws:SecureTransport"], []string{"false"}) || len(tls.Resource) != 2 {
			t.Errorf("TLS guard %+v", tls)
		}
	})
}

func TestAccessLogsCanBeTurnedOff(t *testing.T) {
	t.Parallel()
	rec, err := stacktest.Run(t, stacktest.Lab, func(cfg map[string]string) { cfg["bpa:loadBalancerAccessLogDays"] = "0" })
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rec.Resources {
		if r.Name == logBucket {
			t.Errorf("%s %s created with access logs off", r.Type, r.Name)
		}
	}
	if logs := stacktest.Input(stacktest.Must(t, rec, lbType, "cluster-alb"), "accessLogs"); logs != nil {
		t.Errorf("accessLogs = %v with access logs off", logs)
	}
}
