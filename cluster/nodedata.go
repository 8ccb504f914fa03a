package cluster

import (
	"fmt"
	"io/fs"
	"mime"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ebs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/internal/iampolicy"
)

// BundlePrefix is where the release bundle lives in its bucket; each node
// copies it below DataMount.
const BundlePrefix = "bundle"

// nodeData creates what outlives any one BPA node: each node's data volume,
// in the node's zone and attached by the node itself at boot, and the
// bucket of the release bundle every node copies into /opt/bpa. A node that
// is replaced (a new AMI, a new launch template) finds both again.
func (b *builder) nodeData() error {
	n := b.args.BpaNodes
	protect := pulumi.Protect(b.args.Protect)
	var volumeArns pulumi.StringArray
	for _, node := range Nodes {
		vol, err := ebs.NewVolume(b.ctx, b.name+"-data-"+node.Name, &ebs.VolumeArgs{
			AvailabilityZone: pulumi.String(b.args.AvailabilityZones[node.Zone]),
			Type:             pulumi.String("gp3"),
			Size:             pulumi.Int(n.DataVolumeGiB),
			Iops:             pulumi.Int(n.DataVolumeIops),
			Throughput:       pulumi.Int(n.DataVolumeThroughput),
			Encrypted:        pulumi.Bool(true),
			// A protected stack keeps a snapshot if the volume is ever deleted.
			FinalSnapshot: pulumi.Bool(b.args.Protect),
			Tags:          b.tags("data-" + node.Name),
		}, b.parent, protect)
		if err != nil {
			return fmt.Errorf("create %s data volume: %w", node.Name, err)
		}
		b.dataVolumes = append(b.dataVolumes, vol)
		volumeArns = append(volumeArns, vol.Arn)
	}

	bucket, err := b.bundleBucket()
	if err != nil {
		return err
	}
	b.bundleBucketName = bucket.Bucket

	// The node role attaches exactly these volumes, to the cluster's own
	// instances, and reads the bundle; nothing else.
	policy, err := iam.NewRolePolicy(b.ctx, b.name+"-nodes-bpa-data", &iam.RolePolicyArgs{
		Role: b.nodeRole.ID(),
		Policy: iampolicy.Document(
			iampolicy.Statement{Sid: "FindDataVolume", Actions: []string{"ec2:DescribeVolumes"}, Resources: iampolicy.Strings("*")},
			iampolicy.Statement{Sid: "AttachOwnDataVolume", Actions: []string{"ec2:AttachVolume"}, Resources: volumeArns},
			iampolicy.Statement{
				Sid: "AttachToClusterInstances", Actions: []string{"ec2:AttachVolume"},
				Resources: pulumi.StringArray{pulumi.Sprintf("arn:%s:ec2:%s:%s:instance/*", iampolicy.Partition(b.args.Region), b.args.Region, b.args.Account)},
				Condition: []iampolicy.Condition{{Test: "StringEquals", Variable: "aws:ResourceTag/eks:cluster-name", Values: iampolicy.Strings(b.args.NamePrefix)}},
			},
			iampolicy.Statement{
				Sid: "ListBundle", Actions: []string{"s3:ListBucket"}, Resources: pulumi.StringArray{bucket.Arn},
				Condition: []iampolicy.Condition{{Test: "StringLike", Variable: "s3:prefix", Values: iampolicy.Strings(BundlePrefix + "/*")}},
			},
			iampolicy.Statement{Sid: "ReadBundle", Actions: []string{"s3:GetObject"}, Resources: pulumi.StringArray{pulumi.Sprintf("%s/%s/*", bucket.Arn, BundlePrefix)}},
		),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("let nodes attach their data and read the bundle: %w", err)
	}
	b.nodeRoleReady = append(b.nodeRoleReady, policy)
	return nil
}

// bundleBucket is the home of the BPA release bundle (the guide's
// "packages", copied to every node by hand): versioned, so a bad upload can
// be rolled back, encrypted, private, TLS only, and rid of interrupted
// uploads. Optionally the program
// uploads a local copy of the bundle to it.
func (b *builder) bundleBucket() (*s3.BucketV2, error) {
	bucket, err := s3.NewBucketV2(b.ctx, b.name+"-bundle", &s3.BucketV2Args{
		BucketPrefix: pulumi.String(b.args.NamePrefix + "-bpa-bundle-"),
		ForceDestroy: pulumi.Bool(!b.args.Protect),
		Tags:         b.tags("bpa-bundle"),
	}, b.parent, pulumi.Protect(b.args.Protect))
	if err != nil {
		return nil, fmt.Errorf("create bundle bucket: %w", err)
	}
	versioning, err := s3.NewBucketVersioningV2(b.ctx, b.name+"-bundle", &s3.BucketVersioningV2Args{
		Bucket:                  bucket.ID(),
		VersioningConfiguration: s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("version bundle bucket: %w", err)
	}
	// A bundle is gigabytes of images uploaded with aws s3 sync, in
	// multipart uploads: an interrupted sync leaves parts that are billed
	// until aborted. Noncurrent versions stay: they are the rollback.
	if _, err := s3.NewBucketLifecycleConfigurationV2(b.ctx, b.name+"-bundle", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules:  s3.BucketLifecycleConfigurationV2RuleArray{abortIncompleteUploads()},
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{versioning})); err != nil {
		return nil, fmt.Errorf("abort incomplete uploads to the bundle bucket: %w", err)
	}
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(b.ctx, b.name+"-bundle", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm: pulumi.String("AES256"),
			},
		}},
	}, b.parent); err != nil {
		return nil, fmt.Errorf("encrypt bundle bucket: %w", err)
	}
	blocked, err := s3.NewBucketPublicAccessBlock(b.ctx, b.name+"-bundle", &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("block public access to bundle bucket: %w", err)
	}
	if _, err := s3.NewBucketPolicy(b.ctx, b.name+"-bundle", &s3.BucketPolicyArgs{
		Bucket: bucket.ID(),
		Policy: iampolicy.Document(iampolicy.Statement{
			Sid:       "TLSOnly",
			Effect:    "Deny",
			Principal: iampolicy.Principal{Type: "AWS", Identifiers: iampolicy.Strings("*")},
			Actions:   []string{"s3:*"},
			Resources: pulumi.StringArray{bucket.Arn, pulumi.Sprintf("%s/*", bucket.Arn)},
			Condition: []iampolicy.Condition{{Test: "Bool", Variable: "aws:SecureTransport", Values: iampolicy.Strings("false")}},
		}),
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{blocked})); err != nil {
		return nil, fmt.Errorf("require TLS on bundle bucket: %w", err)
	}
	if b.args.BundlePath != "" {
		if err := b.uploadBundle(bucket); err != nil {
			return nil, err
		}
	}
	return bucket, nil
}

// uploadBundle puts every file below BundlePath into the bucket, one object
// each, named by its relative path: a changed file is a changed object.
func (b *builder) uploadBundle(bucket *s3.BucketV2) error {
	var files []string
	err := filepath.WalkDir(b.args.BundlePath, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read bundle %s: %w", b.args.BundlePath, err)
	}
	if len(files) == 0 {
		return fmt.Errorf("bundle %s holds no files", b.args.BundlePath)
	}
	sort.Strings(files)
	for _, f := range files {
		rel, err := filepath.Rel(b.args.BundlePath, f)
		if err != nil {
			return err
		}
		key := path.Join(BundlePrefix, filepath.ToSlash(rel))
		contentType := mime.TypeByExtension(filepath.Ext(f))
		if contentType == "" {
			contentType = "application/octet-stream"
		}
		if _, err := s3.NewBucketObjectv2(b.ctx, b.name+"-bundle-"+filepath.ToSlash(rel), &s3.BucketObjectv2Args{
			Bucket:      bucket.ID(),
			Key:         pulumi.String(key),
			Source:      pulumi.NewFileAsset(f),
			ContentType: pulumi.String(contentType),
		}, b.parent); err != nil {
			return fmt.Errorf("upload %s: %w", rel, err)
		}
	}
	return nil
}

// bundleExists reports whether a local bundle path is a directory.
func bundleExists(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}
