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
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/cluster"
	"github.com/bpa-infra/bpa-infra/databases/mongo"
	"github.com/bpa-infra/bpa-infra/databases/postgres"
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
		return fmt.Errorf("create the AWS provider: %w", err)
	}
	onAWS := pulumi.Providers(awsProvider)
	// The account every key policy and ARN names, looked up once.
	stack := cfg.Stack(aws.GetCallerIdentityOutput(ctx, aws.GetCallerIdentityOutputArgs{}, pulumi.Provider(awsProvider)).AccountId())

	net, err := network.New(ctx, "network", &network.Args{Stack: stack, ClusterName: stack.NamePrefix, Settings: cfg.Network}, onAWS)
	if err != nil {
		return err
	}

	eks, err := cluster.New(ctx, "cluster", &cluster.Args{
		Stack:             stack,
		AvailabilityZones: cfg.Network.AvailabilityZones,
		VpcId:             net.VpcId.ToStringOutput(),
		VpcCidr:           cfg.Network.VpcCidr.String(),
		PodCidr:           cfg.Network.PodCidr.String(),
		PrivateSubnetIds:  net.PrivateSubnetIds, PublicSubnetIds: net.PublicSubnetIds, PodSubnetIds: net.PodSubnetIds,
		BastionSecurityGroupId: net.BastionSecurityGroupId.ToStringOutput(),
		LogsKeyArn:             net.LogsKeyArn,
		NodeEgress:             net.PrivateEgress,
		Deployer:               cfg.Deployer,
		AWSProvider:            awsProvider,
		Settings:               cfg.Cluster,
	}, onAWS)
	if err != nil {
		return err
	}

	// The data stores wait for the network and the nodes' security group (a
	// plain security group of the cluster), not for EKS nor each other.
	rds, err := postgres.New(ctx, "postgres", &postgres.Args{
		Stack:                  stack,
		VpcId:                  net.VpcId.ToStringOutput(),
		DataSubnetIds:          net.DataSubnetIds,
		PodCidr:                cfg.Network.PodCidr,
		NodeSecurityGroupId:    eks.NodeSecurityGroupId,
		BastionSecurityGroupId: net.BastionSecurityGroupId.ToStringOutput(),
		BastionInstanceId:      net.BastionInstanceId.ToStringOutput(),
		LogsKeyArn:             net.LogsKeyArn,
		Deployer:               cfg.Deployer,
		AdminEndpoint:          cfg.Postgres.AdminEndpoint,
		Settings:               cfg.Postgres.Settings,
	}, onAWS)
	if err != nil {
		return err
	}

	atlasPublicKey, atlasPrivateKey := cfg.Mongo.APIKeys(ctx)
	atlas, err := mongo.New(ctx, "mongo", &mongo.Args{
		Stack:               stack,
		AtlasPublicKey:      atlasPublicKey,
		AtlasPrivateKey:     atlasPrivateKey,
		VpcId:               net.VpcId.ToStringOutput(),
		DataSubnetIds:       net.DataSubnetIds,
		PodCidr:             net.PodCidr,
		NodeSecurityGroupId: eks.NodeSecurityGroupId,
		Settings:            cfg.Mongo.Settings,
	}, onAWS)
	if err != nil {
		return err
	}

	images, err := registry.New(ctx, "registry", &registry.Args{
		Stack:        stack,
		Charts:       []string{registry.ChartRepository},
		NodeRoleName: eks.NodeRoleName,
		Settings:     cfg.Registry,
	}, onAWS)
	if err != nil {
		return err
	}

	// BPA itself: every connection fact comes from the component that owns
	// it; the release waits for the nodes and cluster DNS, the database
	// logins, the PrivateLink link and the image pull policy.
	tlsCertificate, tlsKey := cfg.TLS(ctx)
	bpaApp, err := workload.New(ctx, "bpa", &workload.Args{
		KubeProvider:   eks.KubeProvider,
		DefaultChart:   images.ChartURL,
		TLSCertificate: tlsCertificate,
		TLSKey:         tlsKey,
		ImageRegistry:  images.ImageRegistry,
		Postgres: workload.Postgres{
			Host: rds.Address, Port: rds.Port, SSLMode: rds.SSLMode,
			Root: login(rds.Root), Kong: login(rds.Kong), Camunda: login(rds.Camunda),
		},
		Mongo: workload.Mongo{
			Username: atlas.Username, Password: atlas.Password, AuthSource: atlas.AuthSource, SrvAddress: atlas.ConnectionString,
		},
		WaitFor:  slices.Concat(eks.Ready, rds.Ready, []pulumi.Resource{atlas.EndpointServiceLink}, images.Ready),
		Settings: cfg.Workload,
	})
	if err != nil {
		return err
	}

	export(ctx, cfg, net, eks, rds, atlas, images, bpaApp)
	return nil
}

// login is a PostgreSQL login as the chart takes it.
func login(l postgres.Login) workload.Database {
	return workload.Database{Name: l.Database, User: l.Role, Password: l.Password}
}

// export publishes what operators and the runbook use: endpoints, ids,
// secret ARNs and ready-made commands; the kubeconfig stays secret.
func export(ctx *pulumi.Context, cfg *config.Config, net *network.Network, eks *cluster.Cluster,
	rds *postgres.Postgres, atlas *mongo.Mongo, images *registry.Registry, bpaApp *workload.Bpa) {
	for name, value := range map[string]pulumi.Input{
		"vpcId":                      net.VpcId,
		"availabilityZones":          net.AvailabilityZones,
		"privateSubnetIds":           net.PrivateSubnetIds,
		"dataSubnetIds":              net.DataSubnetIds,
		"bastionInstanceId":          net.BastionInstanceId,
		"bastionSessionCommand":      pulumi.Sprintf("aws ssm start-session --region %s --target %s", cfg.Region, net.BastionInstanceId),
		"clusterName":                eks.ClusterName,
		"kubeconfig":                 eks.Kubeconfig,
		"loadBalancerDnsName":        eks.LoadBalancerDnsName,
		"bundleBucket":               eks.BundleBucket,
		"bpaUrl":                     pulumi.Sprintf("https://%s", eks.LoadBalancerDnsName),
		"postgresAddress":            rds.Address,
		"postgresMasterSecretArn":    rds.MasterSecretArn,
		"postgresRootSecretArn":      rds.Root.SecretArn,
		"postgresKongSecretArn":      rds.Kong.SecretArn,
		"postgresCamundaSecretArn":   rds.Camunda.SecretArn,
		"postgresPortForwardCommand": rds.PortForwardCommand,
		"mongoProjectId":             atlas.ProjectId,
		"mongoClusterName":           atlas.ClusterName,
		"mongoUserSecretArn":         atlas.UserSecretArn,
		"registryUrl":                images.URL,
		"repositoryUrls":             images.RepositoryURLs,
		"chartPushUrl":               images.ChartPushURL,
		"bpaNamespace":               bpaApp.Namespace,
		"bpaReleaseStatus":           bpaApp.ReleaseStatus,
	} {
		ctx.Export(name, value)
	}
}
