// Package bpa is the Pulumi program that stands up Cisco Business Process
// Automation on AWS for one customer stack.
//
// Program below is the map of the system: configuration is read and checked
// once, then each component is built from the typed outputs of the ones it
// needs, so the dependency graph is the one written here. cmd/bpa runs it
// for `pulumi up`; cmd/plan and the tests run the very same function under
// the SDK's mock monitor.
package bpa

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/internal/config"
	"github.com/bpa-infra/bpa-infra/network"
	"github.com/bpa-infra/bpa-infra/registry"
)

// Program builds one customer's BPA environment.
func Program(ctx *pulumi.Context) error {
	cfg, err := config.Load(ctx)
	if err != nil {
		return err
	}

	// One explicit AWS provider carries the region and the stack's tags to
	// every AWS resource; Pulumi.yaml disables the default provider so
	// nothing can bypass it.
	awsProvider, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{
		Region:      pulumi.String(cfg.Region),
		DefaultTags: &aws.ProviderDefaultTagsArgs{Tags: pulumi.ToStringMap(cfg.Tags.Map())},
	})
	if err != nil {
		return err
	}
	onAWS := pulumi.Providers(awsProvider)

	net, err := network.New(ctx, "network", &network.Args{
		NamePrefix:           cfg.NamePrefix(),
		ClusterName:          cfg.NamePrefix(),
		Region:               cfg.Region,
		AvailabilityZones:    cfg.AvailabilityZones,
		VpcCidr:              cfg.Network.VpcCidr,
		PodCidr:              cfg.Network.PodCidr,
		PublicSubnets:        cfg.Network.Subnets.Public,
		PrivateSubnets:       cfg.Network.Subnets.Private,
		PodSubnets:           cfg.Network.Subnets.Pod,
		DataSubnets:          cfg.Network.Subnets.Data,
		SingleNatGateway:     cfg.Network.NatGateways == config.NatSingle,
		FlowLogRetentionDays: cfg.Network.FlowLogRetentionDays,
		InterfaceEndpoints:   cfg.Network.InterfaceEndpoints,
		BastionInstanceType:  cfg.Network.BastionInstanceType,
	}, onAWS)
	if err != nil {
		return err
	}

	// <cluster: wire here>

	// <postgres: wire here>

	// <mongo: wire here>

	images, err := registry.New(ctx, "registry", &registry.Args{
		NamePrefix:         cfg.NamePrefix(),
		Region:             cfg.Region,
		Images:             cfg.Registry.Images,
		ImmutableTags:      cfg.Registry.ImmutableTags,
		KeepTaggedImages:   cfg.Registry.KeepTaggedImages,
		UntaggedExpiryDays: cfg.Registry.UntaggedExpiryDays,
		Protect:            cfg.Protect,
	}, onAWS)
	if err != nil {
		return err
	}

	ctx.Export("vpcId", net.VpcId)
	ctx.Export("availabilityZones", net.AvailabilityZones)
	ctx.Export("privateSubnetIds", net.PrivateSubnetIds)
	ctx.Export("dataSubnetIds", net.DataSubnetIds)
	ctx.Export("bastionInstanceId", net.BastionInstanceId)
	ctx.Export("registryUrl", images.URL)
	ctx.Export("repositoryUrls", images.RepositoryURLs)
	ctx.Export("bastionSessionCommand", pulumi.Sprintf("aws ssm start-session --region %s --target %s", cfg.Region, net.BastionInstanceId))
	return nil
}
