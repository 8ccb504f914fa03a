package mongo

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi-mongodbatlas/sdk/v3/go/mongodbatlas"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// privateLink connects the VPC to the cluster without any public path:
// Atlas's endpoint service for the region, an interface VPC endpoint to it
// in the data subnets, and the registration of that endpoint back in Atlas.
// Each step takes the previous one's id, so the engine orders them.
func (b *builder) privateLink() error {
	a := b.args
	// One endpoint service per region and project. Atlas accepts the region
	// in either format here; its own format is pinned, as on the cluster,
	// because a change of spelling would replace the endpoint.
	atlasSide, err := mongodbatlas.NewPrivateLinkEndpoint(b.ctx, b.name+"-privatelink", &mongodbatlas.PrivateLinkEndpointArgs{
		ProjectId:    b.projectID,
		ProviderName: pulumi.String("AWS"),
		Region:       pulumi.String(atlasRegion(a.Region)),
	}, b.onAtlas()...)
	if err != nil {
		return fmt.Errorf("create Atlas private endpoint service: %w", err)
	}

	onEndpointAccount, err := b.endpointProvider()
	if err != nil {
		return err
	}
	b.endpointSG, err = ec2.NewSecurityGroup(b.ctx, b.name+"-endpoint", &ec2.SecurityGroupArgs{
		VpcId:       a.VpcId,
		Description: pulumi.String("MongoDB Atlas PrivateLink endpoint: Atlas node ports from the BPA nodes and pods only"),
		Tags:        b.tags("mongo-endpoint"),
	}, onEndpointAccount...)
	if err != nil {
		return fmt.Errorf("create endpoint security group: %w", err)
	}
	type source struct {
		label string
		rule  vpc.SecurityGroupIngressRuleArgs
	}
	sources := []source{{"pods", vpc.SecurityGroupIngressRuleArgs{CidrIpv4: a.PodCidr}}}
	if a.NodeSecurityGroupId != nil {
		sources = append(sources, source{"nodes", vpc.SecurityGroupIngressRuleArgs{ReferencedSecurityGroupId: a.NodeSecurityGroupId}})
	}
	for _, s := range sources {
		rule := s.rule
		rule.SecurityGroupId = b.endpointSG.ID()
		rule.Description = pulumi.String("MongoDB Atlas over PrivateLink from the BPA " + s.label)
		rule.IpProtocol = pulumi.String("tcp")
		rule.FromPort = pulumi.Int(AtlasPortFrom)
		rule.ToPort = pulumi.Int(AtlasPortTo)
		if _, err := vpc.NewSecurityGroupIngressRule(b.ctx, b.name+"-endpoint-from-"+s.label, &rule, onEndpointAccount...); err != nil {
			return fmt.Errorf("admit %s to the endpoint: %w", s.label, err)
		}
	}

	endpoint, err := ec2.NewVpcEndpoint(b.ctx, b.name+"-endpoint", &ec2.VpcEndpointArgs{
		VpcId:            a.VpcId,
		ServiceName:      atlasSide.EndpointServiceName,
		VpcEndpointType:  pulumi.String("Interface"),
		SubnetIds:        a.DataSubnetIds,
		SecurityGroupIds: pulumi.StringArray{b.endpointSG.ID()},
		// Atlas's private connection strings resolve through public DNS to
		// these private addresses; the service has no private DNS name.
		PrivateDnsEnabled: pulumi.Bool(false),
		Tags:              b.tags("mongo-endpoint"),
	}, onEndpointAccount...)
	if err != nil {
		return fmt.Errorf("create VPC endpoint to Atlas: %w", err)
	}
	b.vpcEndpointID = endpoint.ID()

	b.endpointService, err = mongodbatlas.NewPrivateLinkEndpointService(b.ctx, b.name+"-endpoint-service", &mongodbatlas.PrivateLinkEndpointServiceArgs{
		ProjectId:         b.projectID,
		ProviderName:      pulumi.String("AWS"),
		PrivateLinkId:     atlasSide.PrivateLinkId,
		EndpointServiceId: endpoint.ID(),
	}, b.onAtlas(
		// Creating the link waits for the endpoint, then for every cluster
		// of the project to be IDLE, and only logs a failure of that wait
		// (terraform-provider-mongodbatlas v1.30.0,
		// resource_privatelink_endpoint_service.go): beside a cluster still
		// being built it can finish before the cluster has its private
		// connection string. After the cluster, the order is explicit.
		pulumi.DependsOn([]pulumi.Resource{b.clusterRes}))...)
	if err != nil {
		return fmt.Errorf("register VPC endpoint with Atlas: %w", err)
	}
	return nil
}

// endpointProvider returns the options for the AWS side of the endpoint:
// the stack's provider (inherited from the component's parent), or, when a
// role in another account is configured, an explicit provider assuming it
// with the same region and default tags.
func (b *builder) endpointProvider() ([]pulumi.ResourceOption, error) {
	a := b.args
	if a.EndpointAssumeRoleArn == "" {
		return []pulumi.ResourceOption{b.parent}, nil
	}
	p, err := aws.NewProvider(b.ctx, b.name+"-endpoint-account", &aws.ProviderArgs{
		Region: pulumi.String(a.Region),
		AssumeRole: &aws.ProviderAssumeRoleArgs{
			RoleArn:     pulumi.String(a.EndpointAssumeRoleArn),
			SessionName: pulumi.String(a.NamePrefix + "-atlas-endpoint"),
		},
		DefaultTags: &aws.ProviderDefaultTagsArgs{Tags: pulumi.ToStringMap(a.Tags)},
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("create AWS provider for the endpoint account: %w", err)
	}
	return []pulumi.ResourceOption{b.parent, pulumi.Provider(p)}, nil
}
