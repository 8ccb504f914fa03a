package network

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// InterfaceEndpointServices are the AWS services nodes and the bastion reach
// privately: image pulls (ECR API and registry), IAM roles for service
// accounts (STS), node bootstrap (EC2), logs, and Session Manager (SSM and
// its two message channels).
var InterfaceEndpointServices = []string{"ecr.api", "ecr.dkr", "sts", "ec2", "logs", "ssm", "ssmmessages", "ec2messages"}

// endpoints adds the free S3 gateway endpoint (image layers live in S3)
// always, and the interface endpoints when enabled.
func (b *builder) endpoints() error {
	tables := pulumi.StringArray{b.dataTable.ID()}
	for _, t := range b.privateTables {
		tables = append(tables, t.ID())
	}
	if _, err := ec2.NewVpcEndpoint(b.ctx, b.name+"-endpoint-s3", &ec2.VpcEndpointArgs{
		VpcId:           b.vpcRes.ID(),
		ServiceName:     pulumi.String(b.serviceName("s3")),
		VpcEndpointType: pulumi.String("Gateway"),
		RouteTableIds:   tables,
		Tags:            b.tags("endpoint-s3"),
	}, b.parent); err != nil {
		return fmt.Errorf("create S3 gateway endpoint: %w", err)
	}
	if !b.args.InterfaceEndpoints {
		return nil
	}

	sg, err := ec2.NewSecurityGroup(b.ctx, b.name+"-endpoints", &ec2.SecurityGroupArgs{
		VpcId:       b.vpcRes.ID(),
		Description: pulumi.String("HTTPS from the VPC and the pod range to AWS service endpoints"),
		Tags:        b.tags("endpoints"),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("create endpoint security group: %w", err)
	}
	for _, src := range []struct{ label, cidr string }{{"vpc", b.args.VpcCidr.String()}, {"pods", b.args.PodCidr.String()}} {
		if _, err := vpc.NewSecurityGroupIngressRule(b.ctx, b.name+"-endpoints-https-from-"+src.label, &vpc.SecurityGroupIngressRuleArgs{
			SecurityGroupId: sg.ID(),
			Description:     pulumi.String("HTTPS from " + src.label),
			IpProtocol:      pulumi.String("tcp"),
			FromPort:        pulumi.Int(443),
			ToPort:          pulumi.Int(443),
			CidrIpv4:        pulumi.String(src.cidr),
		}, b.parent); err != nil {
			return fmt.Errorf("admit HTTPS to endpoints from %s: %w", src.label, err)
		}
	}
	subnets := pulumi.StringArray{}
	for _, s := range b.private {
		subnets = append(subnets, s.ID())
	}
	for _, svc := range InterfaceEndpointServices {
		label := strings.ReplaceAll(svc, ".", "-")
		endpoint, err := ec2.NewVpcEndpoint(b.ctx, b.name+"-endpoint-"+label, &ec2.VpcEndpointArgs{
			VpcId:             b.vpcRes.ID(),
			ServiceName:       pulumi.String(b.serviceName(svc)),
			VpcEndpointType:   pulumi.String("Interface"),
			PrivateDnsEnabled: pulumi.Bool(true),
			SubnetIds:         subnets,
			SecurityGroupIds:  pulumi.StringArray{sg.ID()},
			Tags:              b.tags("endpoint-" + label),
		}, b.parent)
		if err != nil {
			return fmt.Errorf("create %s endpoint: %w", svc, err)
		}
		b.privateEgress = append(b.privateEgress, endpoint)
	}
	return nil
}

func (b *builder) serviceName(svc string) string {
	return "com.amazonaws." + b.args.Region + "." + svc
}
