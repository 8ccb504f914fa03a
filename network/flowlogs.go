package network

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/internal/iampolicy"
	"github.com/bpa-infra/bpa-infra/internal/kmskey"
)

// logsKey creates the customer-managed key for the stack's log groups. Its
// policy lets CloudWatch Logs use it only for this account's log groups.
func (b *builder) logsKey() error {
	region, partition := b.args.Region, iampolicy.Partition(b.args.Region)
	key, err := kmskey.New(b.ctx, b.name+"-logs-key", kmskey.Args{
		Description: b.args.NamePrefix + " CloudWatch Logs encryption",
		Alias:       b.args.NamePrefix + "-logs",
		Tags:        b.tags("logs-key"),
		Region:      region,
		Account:     b.args.Account,
		Grants: []iampolicy.Statement{{
			Sid:       "CloudWatchLogsUsesKey",
			Principal: iampolicy.Service("logs." + region + ".amazonaws.com"),
			Actions:   []string{"kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"},
			Resources: iampolicy.Strings("*"),
			Condition: []iampolicy.Condition{{
				Test:     "ArnLike",
				Variable: "kms:EncryptionContext:aws:logs:arn",
				Values:   pulumi.StringArray{pulumi.Sprintf("arn:%s:logs:%s:%s:log-group:*", partition, region, b.args.Account)},
			}},
		}},
		Protect: b.args.Protect,
	}, b.parent)
	if err != nil {
		return err
	}
	b.logsKeyArn = key.Arn
	return nil
}

// flowLogs records all VPC traffic to an encrypted log group.
func (b *builder) flowLogs() error {
	group, err := cloudwatch.NewLogGroup(b.ctx, b.name+"-flow-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/bpa/" + b.args.NamePrefix + "/vpc-flow-logs"),
		RetentionInDays: pulumi.Int(b.args.FlowLogRetentionDays),
		KmsKeyId:        b.logsKeyArn,
		Tags:            b.tags("vpc-flow-logs"),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("create flow log group: %w", err)
	}
	role, err := iam.NewRole(b.ctx, b.name+"-flow-logs", &iam.RoleArgs{
		Description:      pulumi.String("Lets VPC Flow Logs write to " + b.args.NamePrefix + "'s flow log group"),
		AssumeRolePolicy: iampolicy.AssumeRole("vpc-flow-logs.amazonaws.com", iampolicy.SourceAccount(b.args.Account)),
		Tags:             b.tags("flow-logs"),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("create flow log role: %w", err)
	}
	if _, err := iam.NewRolePolicy(b.ctx, b.name+"-flow-logs", &iam.RolePolicyArgs{
		Role: role.ID(),
		Policy: iampolicy.Document(iampolicy.Statement{
			Sid:       "WriteFlowLogs",
			Actions:   []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"},
			Resources: pulumi.StringArray{group.Arn, pulumi.Sprintf("%s:*", group.Arn)},
		}),
	}, b.parent); err != nil {
		return fmt.Errorf("attach flow log policy: %w", err)
	}
	if _, err := ec2.NewFlowLog(b.ctx, b.name+"-flow-log", &ec2.FlowLogArgs{
		VpcId:                  b.vpcRes.ID(),
		TrafficType:            pulumi.String("ALL"),
		LogDestinationType:     pulumi.String("cloud-watch-logs"),
		LogDestination:         group.Arn,
		IamRoleArn:             role.Arn,
		MaxAggregationInterval: pulumi.Int(60),
		Tags:                   b.tags("flow-log"),
	}, b.parent); err != nil {
		return fmt.Errorf("create flow log: %w", err)
	}
	return nil
}
