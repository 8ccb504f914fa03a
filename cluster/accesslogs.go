package cluster

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/elb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/internal/iampolicy"
)

// AccessLogPrefix is where the load balancer writes in its log bucket.
const AccessLogPrefix = "alb"

// AccessLogNoncurrentDays is how long the log bucket keeps a version that
// is no longer current (a log expired by the retention rule, or one deleted
// or overwritten by hand): a month to notice a mistaken deletion.
const AccessLogNoncurrentDays = 30

// AbortIncompleteUploadDays ends multipart uploads that never completed, in
// every bucket: their parts are stored, and billed, until aborted.
const AbortIncompleteUploadDays = 7

// accessLogBucket creates the bucket the load balancer writes its access
// logs to: private, encrypted, TLS only, versioned, and emptied of logs older
// than the configured retention (and of their old versions a month later).
// Nothing is created when access logs are off.
func (b *builder) accessLogBucket() error {
	days := b.args.LoadBalancer.AccessLogDays
	if days == 0 {
		return nil
	}
	protect := pulumi.Protect(b.args.Protect)
	bucket, err := s3.NewBucketV2(b.ctx, b.name+"-alb-logs", &s3.BucketV2Args{
		// A prefix, not a name: bucket names are global, and S3 adds a suffix.
		BucketPrefix: pulumi.String(b.args.NamePrefix + "-alb-logs-"),
		ForceDestroy: pulumi.Bool(!b.args.Protect),
		Tags:         b.tags("alb-logs"),
	}, b.parent, protect)
	if err != nil {
		return fmt.Errorf("create access log bucket: %w", err)
	}
	// Load balancer access logs accept only S3-managed keys (SSE-S3), not KMS.
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(b.ctx, b.name+"-alb-logs", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm: pulumi.String("AES256"),
			},
		}},
	}, b.parent); err != nil {
		return fmt.Errorf("encrypt access log bucket: %w", err)
	}
	blocked, err := s3.NewBucketPublicAccessBlock(b.ctx, b.name+"-alb-logs", &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("block public access to access log bucket: %w", err)
	}
	if _, err := s3.NewBucketOwnershipControls(b.ctx, b.name+"-alb-logs", &s3.BucketOwnershipControlsArgs{
		Bucket: bucket.ID(),
		Rule:   s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, b.parent); err != nil {
		return fmt.Errorf("set access log bucket ownership: %w", err)
	}
	// Versioned, so a log deleted or overwritten by hand (or by a
	// compromised principal) can be recovered (Checkov CKV_AWS_21). ALB log
	// delivery writes to versioned buckets as to any other.
	versioning, err := s3.NewBucketVersioningV2(b.ctx, b.name+"-alb-logs", &s3.BucketVersioningV2Args{
		Bucket:                  bucket.ID(),
		VersioningConfiguration: s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
	}, b.parent)
	if err != nil {
		return fmt.Errorf("version access log bucket: %w", err)
	}
	// In a versioned bucket the retention rule only makes a log noncurrent
	// (a delete marker on top); the noncurrent rule deletes it for good
	// AccessLogNoncurrentDays later. The abort rule covers the whole bucket
	// (Checkov CKV_AWS_300); its action differs from the others', so its
	// filter may overlap theirs.
	rules := s3.BucketLifecycleConfigurationV2RuleArray{
		s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:         pulumi.String("expire-access-logs"),
			Status:     pulumi.String("Enabled"),
			Filter:     s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String(AccessLogPrefix + "/")},
			Expiration: s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(days)},
			NoncurrentVersionExpiration: s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{
				NoncurrentDays: pulumi.Int(AccessLogNoncurrentDays),
			},
		},
		abortIncompleteUploads(),
	}
	if _, err := s3.NewBucketLifecycleConfigurationV2(b.ctx, b.name+"-alb-logs", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules:  rules,
	}, b.parent,
		// Rules on noncurrent versions need versioning on first (S3 and
		// the provider's documentation of the lifecycle resource).
		pulumi.DependsOn([]pulumi.Resource{versioning})); err != nil {
		return fmt.Errorf("expire access logs: %w", err)
	}

	// In regions opened before August 2022 the logs are written by the
	// region's Elastic Load Balancing account, which this lookup names.
	elbAccount := elb.GetServiceAccountOutput(b.ctx, elb.GetServiceAccountOutputArgs{}, b.parent).Arn()
	policy, err := s3.NewBucketPolicy(b.ctx, b.name+"-alb-logs", &s3.BucketPolicyArgs{
		Bucket: bucket.ID(),
		Policy: iampolicy.Document(
			iampolicy.Statement{
				Sid:       "LoadBalancerWritesAccessLogs",
				Principal: iampolicy.Principal{Type: "AWS", Identifiers: pulumi.StringArray{elbAccount}},
				Actions:   []string{"s3:PutObject"},
				Resources: pulumi.StringArray{pulumi.Sprintf("%s/%s/AWSLogs/%s/*", bucket.Arn, AccessLogPrefix, b.args.Account)},
			},
			iampolicy.Statement{
				Sid:       "TLSOnly",
				Effect:    "Deny",
				Principal: iampolicy.Principal{Type: "AWS", Identifiers: iampolicy.Strings("*")},
				Actions:   []string{"s3:*"},
				Resources: pulumi.StringArray{bucket.Arn, pulumi.Sprintf("%s/*", bucket.Arn)},
				Condition: []iampolicy.Condition{{Test: "Bool", Variable: "aws:SecureTransport", Values: iampolicy.Strings("false")}},
			},
		),
	}, b.parent,
		// S3 refuses a bucket policy while the public access block is being
		// applied to the same bucket.
		pulumi.DependsOn([]pulumi.Resource{blocked}))
	if err != nil {
		return fmt.Errorf("let the load balancer write access logs: %w", err)
	}
	b.accessLogs = &accessLogs{bucket: bucket.Bucket, policy: policy}
	return nil
}

// accessLogs is where the load balancer logs, and the policy that must be
// in place before it is created: the load balancer checks that it may write.
type accessLogs struct {
	bucket pulumi.StringOutput
	policy *s3.BucketPolicy
}

// abortIncompleteUploads is the lifecycle rule every bucket carries: a
// multipart upload not completed within AbortIncompleteUploadDays is
// aborted and its parts deleted. An empty filter is the whole bucket.
func abortIncompleteUploads() s3.BucketLifecycleConfigurationV2RuleArgs {
	return s3.BucketLifecycleConfigurationV2RuleArgs{
		Id:     pulumi.String("abort-incomplete-uploads"),
		Status: pulumi.String("Enabled"),
		Filter: s3.BucketLifecycleConfigurationV2RuleFilterArgs{},
		AbortIncompleteMultipartUpload: s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{
			DaysAfterInitiation: pulumi.Int(AbortIncompleteUploadDays),
		},
	}
}
