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

// accessLogBucket creates the bucket the load balancer writes its access
// logs to: private, encrypted, TLS only, and emptied of logs older than the
// configured retention. Nothing is created when access logs are off.
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
	if _, err := s3.NewBucketLifecycleConfigurationV2(b.ctx, b.name+"-alb-logs", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketLifecycleConfigurationV2RuleArray{s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:         pulumi.String("expire-access-logs"),
			Status:     pulumi.String("Enabled"),
			Filter:     s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String(AccessLogPrefix + "/")},
			Expiration: s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(days)},
		}},
	}, b.parent); err != nil {
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
				Resources: pulumi.StringArray{pulumi.Sprintf("%s/%s/AWSLogs/%s/*", bucket.Arn, AccessLogPrefix, b.account)},
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
