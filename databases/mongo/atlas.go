package mongo

import (
	"fmt"
	"maps"
	"slices"

	"github.com/pulumi/pulumi-mongodbatlas/sdk/v3/go/mongodbatlas"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// atlasProvider is the one Atlas provider of the component. Keys given in
// Args (encrypted stack config) are set on it; without them it reads
// MONGODB_ATLAS_PUBLIC_KEY and MONGODB_ATLAS_PRIVATE_KEY from the
// environment of `pulumi up`, so no key ever sits in a file in plain text.
func (b *builder) atlasProvider() error {
	args := &mongodbatlas.ProviderArgs{}
	if b.args.AtlasPublicKey != nil {
		args.PublicKey = pulumi.ToSecret(b.args.AtlasPublicKey).(pulumi.StringOutput)
		args.PrivateKey = pulumi.ToSecret(b.args.AtlasPrivateKey).(pulumi.StringOutput)
	}
	p, err := mongodbatlas.NewProvider(b.ctx, b.name+"-atlas", args, b.parent)
	if err != nil {
		return fmt.Errorf("create Atlas provider: %w", err)
	}
	b.atlas = p
	return nil
}

// project creates the stack's Atlas project, or adopts the configured one
// (then the project is someone else's to manage and protect).
func (b *builder) project() error {
	if b.args.ProjectID != "" {
		b.projectID = pulumi.String(b.args.ProjectID).ToStringOutput()
		return nil
	}
	p, err := mongodbatlas.NewProject(b.ctx, b.name+"-project", &mongodbatlas.ProjectArgs{
		Name:                      pulumi.String(b.physicalName()),
		OrgId:                     pulumi.String(b.args.OrgID),
		WithDefaultAlertsSettings: pulumi.Bool(true),
		Tags:                      pulumi.ToStringMap(b.args.Tags),
	}, b.onAtlas(pulumi.Protect(b.args.Protect))...)
	if err != nil {
		return fmt.Errorf("create Atlas project: %w", err)
	}
	b.projectID = p.ID().ToStringOutput()
	return nil
}

// cluster is a dedicated three-node replica set on AWS in the stack's
// region. AdvancedCluster is the resource Atlas recommends for new clusters
// (the legacy Cluster resource is deprecated).
func (b *builder) cluster() error {
	a := b.args
	var err error
	b.clusterRes, err = mongodbatlas.NewAdvancedCluster(b.ctx, b.name+"-cluster", &mongodbatlas.AdvancedClusterArgs{
		ProjectId:           b.projectID,
		Name:                pulumi.String(b.physicalName()),
		ClusterType:         pulumi.String("REPLICASET"),
		MongoDbMajorVersion: pulumi.String(a.Version),
		ReplicationSpecs: mongodbatlas.AdvancedClusterReplicationSpecArray{
			&mongodbatlas.AdvancedClusterReplicationSpecArgs{
				RegionConfigs: mongodbatlas.AdvancedClusterReplicationSpecRegionConfigArray{
					&mongodbatlas.AdvancedClusterReplicationSpecRegionConfigArgs{
						ProviderName: pulumi.String("AWS"),
						RegionName:   pulumi.String(atlasRegion(a.Region)),
						Priority:     pulumi.Int(7), // the highest: this is the only region
						ElectableSpecs: &mongodbatlas.AdvancedClusterReplicationSpecRegionConfigElectableSpecsArgs{
							InstanceSize: pulumi.String(a.InstanceSize),
							NodeCount:    pulumi.Int(3),
						},
						// Storage grows on its own; the tier stays what config
						// says (compute auto-scaling would fight it).
						AutoScaling: &mongodbatlas.AdvancedClusterReplicationSpecRegionConfigAutoScalingArgs{
							DiskGbEnabled:  pulumi.Bool(true),
							ComputeEnabled: pulumi.Bool(false),
						},
					},
				},
			},
		},
		BackupEnabled: pulumi.Bool(a.Backup),
		PitEnabled:    pulumi.Bool(a.Backup),
		// A protected stack keeps its snapshots even if the cluster goes.
		RetainBackupsEnabled:         pulumi.Bool(a.Backup && a.Protect),
		TerminationProtectionEnabled: pulumi.Bool(a.Protect),
		AdvancedConfiguration: &mongodbatlas.AdvancedClusterAdvancedConfigurationArgs{
			MinimumEnabledTlsProtocol: pulumi.String("TLS1_2"),
		},
		Tags: b.atlasTags(),
	}, b.onAtlas(pulumi.Protect(a.Protect))...)
	if err != nil {
		return fmt.Errorf("create Atlas cluster: %w", err)
	}
	return nil
}

// atlasTags are the stack's tags in the key/value list Atlas clusters take.
func (b *builder) atlasTags() mongodbatlas.AdvancedClusterTagArray {
	var tags mongodbatlas.AdvancedClusterTagArray
	for _, k := range slices.Sorted(maps.Keys(b.args.Tags)) {
		tags = append(tags, mongodbatlas.AdvancedClusterTagArgs{Key: pulumi.String(k), Value: pulumi.String(b.args.Tags[k])})
	}
	return tags
}
