package network

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/internal/iampolicy"
)

// BastionAmiParameter is AWS's public pointer to the current Amazon Linux 2023 image.
const BastionAmiParameter = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"

// PostgresPort is the port the bastion may forward to in the data subnets.
const PostgresPort = 5432

// bastion is the administrators' entry point: a private instance that
// Session Manager reaches from the inside out, so it needs no inbound rule,
// no public address and no SSH key.
func (b *builder) bastion() error {
	var err error
	b.bastionSG, err = ec2.NewSecurityGroup(b.ctx, b.name+"-bastion", &ec2.SecurityGroupArgs{
		VpcId:       b.vpcRes.ID(),
		Description: pulumi.String("Bastion: no inbound; out to HTTPS and to PostgreSQL in the data subnets"),
		Tags:        b.tags("bastion"),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("create bastion security group: %w", err)
	}
	type rule struct {
		label, cidr, why string
		port             int
	}
	egress := []rule{{"https", "0.0.0.0/0", "Session Manager, AWS APIs and package updates", 443}}
	for i, c := range prefixStrings(b.args.Subnets.Data) {
		egress = append(egress, rule{"postgres-" + b.args.AvailabilityZones[i], c, "port forwarding to RDS", PostgresPort})
	}
	for _, e := range egress {
		if _, err := vpc.NewSecurityGroupEgressRule(b.ctx, b.name+"-bastion-to-"+e.label, &vpc.SecurityGroupEgressRuleArgs{
			SecurityGroupId: b.bastionSG.ID(),
			Description:     pulumi.String(e.why),
			IpProtocol:      pulumi.String("tcp"),
			FromPort:        pulumi.Int(e.port),
			ToPort:          pulumi.Int(e.port),
			CidrIpv4:        pulumi.String(e.cidr),
		}, b.parent); err != nil {
			return fmt.Errorf("bastion egress %s: %w", e.label, err)
		}
	}

	role, err := iam.NewRole(b.ctx, b.name+"-bastion", &iam.RoleArgs{
		Description:      pulumi.String("Bastion host reached through SSM Session Manager"),
		AssumeRolePolicy: iampolicy.AssumeRole("ec2.amazonaws.com"),
		Tags:             b.tags("bastion"),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("create bastion role: %w", err)
	}
	if _, err := iam.NewRolePolicyAttachment(b.ctx, b.name+"-bastion-ssm", &iam.RolePolicyAttachmentArgs{
		Role:      role.Name,
		PolicyArn: pulumi.String("arn:" + iampolicy.Partition(b.args.Region) + ":iam::aws:policy/AmazonSSMManagedInstanceCore"),
	}, b.parent); err != nil {
		return fmt.Errorf("attach SSM policy to bastion role: %w", err)
	}
	profile, err := iam.NewInstanceProfile(b.ctx, b.name+"-bastion", &iam.InstanceProfileArgs{
		Role: role.Name,
		Tags: b.tags("bastion"),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("create bastion instance profile: %w", err)
	}

	ami := ssm.LookupParameterOutput(b.ctx, ssm.LookupParameterOutputArgs{Name: pulumi.String(BastionAmiParameter)}, b.parent).Value()
	b.bastionInstance, err = ec2.NewInstance(b.ctx, b.name+"-bastion", &ec2.InstanceArgs{
		Ami:                      ami,
		InstanceType:             pulumi.String(b.args.BastionInstanceType),
		SubnetId:                 b.private[0].ID(),
		VpcSecurityGroupIds:      pulumi.StringArray{b.bastionSG.ID()},
		IamInstanceProfile:       profile.Name,
		AssociatePublicIpAddress: pulumi.Bool(false),
		Monitoring:               pulumi.Bool(true),
		EbsOptimized:             pulumi.Bool(true),
		MetadataOptions: &ec2.InstanceMetadataOptionsArgs{
			HttpEndpoint:            pulumi.String("enabled"),
			HttpTokens:              pulumi.String("required"),
			HttpPutResponseHopLimit: pulumi.Int(1),
		},
		RootBlockDevice: &ec2.InstanceRootBlockDeviceArgs{
			Encrypted:           pulumi.Bool(true),
			VolumeType:          pulumi.String("gp3"),
			VolumeSize:          pulumi.Int(16),
			DeleteOnTermination: pulumi.Bool(true),
		},
		Tags: b.tags("bastion"),
	}, b.parent,
		// A new Amazon Linux release must not replace the bastion under an
		// open session; roll it deliberately with `pulumi up --replace`.
		pulumi.IgnoreChanges([]string{"ami"}))
	if err != nil {
		return fmt.Errorf("create bastion instance: %w", err)
	}
	return nil
}
