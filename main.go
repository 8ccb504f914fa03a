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
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/cluster"
	"github.com/bpa-infra/bpa-infra/databases"
	"github.com/bpa-infra/bpa-infra/internal/config"
	"github.com/bpa-infra/bpa-infra/network"
	"github.com/bpa-infra/bpa-infra/registry"
	"github.com/bpa-infra/bpa-infra/workload"
)

// Program builds one customer's BPA environment.
func Program(ctx *pulumi.Context) error {
	cfg, err := config.Load(ctx)
	if err != nil {
		return err
	}
	// A value the stack stores encrypted stays secret in every input it
	// reaches, whatever Pulumi.yaml declares (an owner in tags).
	if err := ctx.RegisterResourceTransform(cfg.SecretTransform()); err != nil {
		return fmt.Errorf("register the secret-config transform: %w", err)
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
	// The account every key policy and ARN names, looked up once.
	account := aws.GetCallerIdentityOutput(ctx, aws.GetCallerIdentityOutputArgs{}, pulumi.Provider(awsProvider)).AccountId()

	net, err := network.New(ctx, "network", &network.Args{
		NamePrefix:           cfg.NamePrefix(),
		Account:              account,
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
		Protect:              cfg.Protect,
	}, onAWS)
	if err != nil {
		return err
	}

	cl := cfg.Cluster
	var listeners []cluster.Listener
	for _, l := range cl.LoadBalancer.Listeners {
		listeners = append(listeners, cluster.Listener(l))
	}
	eksCluster, err := cluster.New(ctx, "cluster", &cluster.Args{
		NamePrefix:              cfg.NamePrefix(),
		Account:                 account,
		Region:                  cfg.Region,
		AvailabilityZones:       cfg.AvailabilityZones,
		VpcId:                   net.VpcId.ToStringOutput(),
		VpcCidr:                 cfg.Network.VpcCidr.String(),
		PodCidr:                 cfg.Network.PodCidr.String(),
		PrivateSubnetIds:        net.PrivateSubnetIds,
		PublicSubnetIds:         net.PublicSubnetIds,
		PodSubnetIds:            net.PodSubnetIds,
		BastionSecurityGroupId:  net.BastionSecurityGroupId.ToStringOutput(),
		LogsKeyArn:              net.LogsKeyArn,
		NodeEgress:              net.PrivateEgress,
		Protect:                 cfg.Protect,
		Tags:                    cfg.Tags.Map(),
		AWSProvider:             awsProvider,
		KubernetesVersion:       cl.KubernetesVersion,
		PublicAccessCidrs:       cl.PublicAccessCidrs,
		DeployerCidrs:           cfg.Deployer.Cidrs,
		DeployerSecurityGroupId: cfg.Deployer.SecurityGroupId,
		AdminRoleArns:           cl.AdminRoleArns,
		ViewRoleArns:            cl.ViewRoleArns,
		PodEgressCidrs:          cl.PodEgressCidrs,
		LogRetentionDays:        cl.LogRetentionDays,
		AddonVersions:           cluster.AddonVersions(cl.AddonVersions),
		BpaNodes:                cl.BpaNodes,
		GeneralNodes:            cl.GeneralNodes,
		BundlePath:              cl.BundlePath,
		LoadBalancer: cluster.LoadBalancerArgs{
			IngressCidrs:   cl.LoadBalancer.IngressCidrs,
			CertificateArn: cl.LoadBalancer.CertificateArn,
			Listeners:      listeners,
			AccessLogDays:  cl.LoadBalancer.AccessLogDays,
			Waf:            cl.LoadBalancer.Waf,
		},
	}, onAWS)
	if err != nil {
		return err
	}
	ctx.Export("clusterName", eksCluster.ClusterName)
	ctx.Export("kubeconfig", eksCluster.Kubeconfig)
	ctx.Export("loadBalancerDnsName", eksCluster.LoadBalancerDnsName)
	ctx.Export("bundleBucket", eksCluster.BundleBucket)

	// The node security group is a plain security group of the cluster
	// component: only the ingress rules that name it wait for it, not the
	// EKS cluster.
	var nodeSecurityGroupID pulumi.StringInput = eksCluster.NodeSecurityGroupId
	pg := cfg.Postgres
	postgres, err := databases.NewPostgres(ctx, "postgres", &databases.PostgresArgs{
		NamePrefix:              cfg.NamePrefix(),
		Account:                 account,
		Region:                  cfg.Region,
		VpcId:                   net.VpcId.ToStringOutput(),
		DataSubnetIds:           net.DataSubnetIds,
		PodCidr:                 cfg.Network.PodCidr,
		NodeSecurityGroupId:     nodeSecurityGroupID,
		BastionSecurityGroupId:  net.BastionSecurityGroupId.ToStringOutput(),
		BastionInstanceId:       net.BastionInstanceId.ToStringOutput(),
		LogsKeyArn:              net.LogsKeyArn,
		Protect:                 cfg.Protect,
		PostgresSettings:        pg.PostgresSettings,
		ParameterFamily:         pg.PostgresFamily(),
		AdminHost:               pg.AdminEndpoint.Host,
		AdminPort:               pg.AdminEndpoint.Port,
		DeployerCidrs:           cfg.Deployer.Cidrs,
		DeployerSecurityGroupId: cfg.Deployer.SecurityGroupId,
	}, onAWS)
	if err != nil {
		return err
	}
	ctx.Export("postgresAddress", postgres.Address)
	ctx.Export("postgresMasterSecretArn", postgres.MasterSecretArn)
	ctx.Export("postgresRootSecretArn", postgres.Root.SecretArn)
	ctx.Export("postgresKongSecretArn", postgres.Kong.SecretArn)
	ctx.Export("postgresCamundaSecretArn", postgres.Camunda.SecretArn)
	ctx.Export("postgresPortForwardCommand", postgres.PortForwardCommand)

	atlasPublicKey, atlasPrivateKey := cfg.Mongo.APIKeys(ctx)
	mongo, err := databases.NewMongo(ctx, "mongo", &databases.MongoArgs{
		NamePrefix:            cfg.NamePrefix(),
		Account:               account,
		Region:                cfg.Region,
		OrgID:                 cfg.Mongo.OrgID,
		ProjectID:             cfg.Mongo.ProjectID,
		InstanceSize:          cfg.Mongo.InstanceSize,
		MongoVersion:          cfg.Mongo.Version,
		Databases:             cfg.Mongo.Databases,
		Backup:                cfg.Mongo.Backup,
		Protect:               cfg.Protect,
		AtlasPublicKey:        atlasPublicKey,
		AtlasPrivateKey:       atlasPrivateKey,
		EndpointAssumeRoleArn: cfg.Mongo.EndpointAssumeRoleArn,
		PasswordRotation:      cfg.Mongo.PasswordRotation,
		Tags:                  cfg.Tags.Map(),
		VpcId:                 net.VpcId.ToStringOutput(),
		DataSubnetIds:         net.DataSubnetIds,
		PodCidr:               net.PodCidr,
		NodeSecurityGroupId:   nodeSecurityGroupID,
	}, onAWS)
	if err != nil {
		return err
	}
	ctx.Export("mongoProjectId", mongo.ProjectId)
	ctx.Export("mongoClusterName", mongo.ClusterName)
	ctx.Export("mongoUserSecretArn", mongo.UserSecretArn)

	images, err := registry.New(ctx, "registry", &registry.Args{
		NamePrefix:         cfg.NamePrefix(),
		Account:            account,
		Region:             cfg.Region,
		Images:             cfg.Registry.Images,
		Charts:             []string{registry.ChartRepository},
		ImmutableTags:      cfg.Registry.ImmutableTags,
		KeepTaggedImages:   cfg.Registry.KeepTaggedImages,
		UntaggedExpiryDays: cfg.Registry.UntaggedExpiryDays,
		NodeRoleName:       eksCluster.NodeRoleName,
		Protect:            cfg.Protect,
	}, onAWS)
	if err != nil {
		return err
	}

	// BPA itself: every connection fact comes from the component that owns
	// it; the release waits for the nodes and cluster DNS, the database
	// logins, the PrivateLink link and the image pull policy.
	wl := cfg.Workload
	tlsCertificate, tlsKey := wl.TLS(ctx)
	chart := pulumi.String(wl.Chart).ToStringOutput()
	if wl.Chart == "" {
		chart = pulumi.Sprintf("%s/%s", images.ChartPushURL, registry.ChartRepository)
	}
	waitFor := append(append([]pulumi.Resource{}, eksCluster.Ready...), postgres.Ready...)
	waitFor = append(waitFor, mongo.EndpointServiceLink)
	if images.PullAccess != nil {
		waitFor = append(waitFor, images.PullAccess)
	}
	login := func(l databases.PostgresLogin) workload.Database {
		return workload.Database{Name: l.Database, User: l.Role, Password: l.Password}
	}
	bpaApp, err := workload.New(ctx, "bpa", &workload.Args{
		KubeProvider:   eksCluster.KubeProvider,
		Namespace:      wl.Namespace,
		ReleaseName:    wl.ReleaseName,
		Chart:          workload.Chart{Location: chart, Version: wl.ChartVersion, Repository: wl.ChartRepository},
		TimeoutSecond:  wl.TimeoutSeconds,
		InstallRelease: wl.InstallRelease,
		PostRenderer:   wl.PostRenderer,
		TLSCertificate: tlsCertificate,
		TLSKey:         tlsKey,
		ImageRegistry:  pulumi.Sprintf("%s/%s", images.URL, cfg.NamePrefix()),
		Postgres: workload.Postgres{
			Host:    postgres.Address,
			Port:    postgres.Port,
			SSLMode: postgres.SSLMode,
			Root:    login(postgres.Root),
			Kong:    login(postgres.Kong),
			Camunda: login(postgres.Camunda),
		},
		Mongo: workload.Mongo{
			Username:   mongo.Username,
			Password:   mongo.Password,
			AuthSource: mongo.AuthSource,
			SrvAddress: mongo.ConnectionString,
		},
		ValuePaths:  wl.ValuePaths,
		ExtraValues: wl.Values,
		WaitFor:     waitFor,
	})
	if err != nil {
		return err
	}
	ctx.Export("bpaUrl", pulumi.Sprintf("https://%s", eksCluster.LoadBalancerDnsName))
	ctx.Export("bpaNamespace", bpaApp.Namespace)
	ctx.Export("bpaReleaseStatus", bpaApp.ReleaseStatus)

	ctx.Export("vpcId", net.VpcId)
	ctx.Export("availabilityZones", net.AvailabilityZones)
	ctx.Export("privateSubnetIds", net.PrivateSubnetIds)
	ctx.Export("dataSubnetIds", net.DataSubnetIds)
	ctx.Export("bastionInstanceId", net.BastionInstanceId)
	ctx.Export("registryUrl", images.URL)
	ctx.Export("repositoryUrls", images.RepositoryURLs)
	ctx.Export("chartPushUrl", images.ChartPushURL)
	ctx.Export("bastionSessionCommand", pulumi.Sprintf("aws ssm start-session --region %s --target %s", cfg.Region, net.BastionInstanceId))
	return nil
}
