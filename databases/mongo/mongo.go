package mongo

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-mongodbatlas/sdk/v3/go/mongodbatlas"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/internal/component"
)

// TypeToken is the Mongo component's type in URNs.
const TypeToken = "bpa:databases:Mongo"

// MongoAtlasPort range: a PrivateLink connection to a dedicated cluster
// reaches each node on its own port, assigned by Atlas from 1024 upward.
const (
	AtlasPortFrom = 1024
	AtlasPortTo   = 65535
)

// Args describe the Atlas project, cluster, PrivateLink and user. The
// Atlas side gets Stack.Region in Atlas format ("US_WEST_2"); Stack.Tags
// label the Atlas project and cluster and are the endpoint provider's
// default tags when EndpointAssumeRoleArn is set; Stack.Protect marks the
// project, cluster and KMS key protected and turns on Atlas termination
// protection.
type Args struct {
	component.Stack
	// AtlasPublicKey and AtlasPrivateKey are the Atlas API keys (secrets);
	// both nil means the Atlas provider reads MONGODB_ATLAS_PUBLIC_KEY and
	// MONGODB_ATLAS_PRIVATE_KEY from its environment.
	AtlasPublicKey  pulumi.StringInput
	AtlasPrivateKey pulumi.StringInput

	VpcId pulumi.StringInput
	// DataSubnetIds hold the VPC endpoint's interfaces, one per zone.
	DataSubnetIds pulumi.StringArrayInput
	// PodCidr is admitted to the endpoint (pods use VPC CNI custom networking).
	PodCidr pulumi.StringInput
	// NodeSecurityGroupId is admitted to the endpoint; nil until the cluster
	// exists, then only the pod range is admitted.
	NodeSecurityGroupId pulumi.StringInput
	Settings
}

// Settings are what a stack decides about Atlas; internal/config decodes
// them from the bpa:atlas* keys and bpa:mongoVersion, whose defaults
// Pulumi.yaml holds.
type Settings struct {
	// Exactly one of OrgID (create a project there, bpa:atlasOrgId) and
	// ProjectID (use an existing project, bpa:atlasProjectId) is set.
	OrgID     string
	ProjectID string
	// InstanceSize is the dedicated tier (M10 and up: PrivateLink needs
	// one) of the three nodes (bpa:atlasInstanceSize).
	InstanceSize string
	// Version is the major version, "7.0" or later (bpa:mongoVersion).
	Version string
	// Databases are the only databases the BPA user may read and write
	// (bpa:atlasDatabases).
	Databases []string
	// Backup turns on cloud backup with point-in-time restore (bpa:atlasBackup).
	Backup bool
	// PasswordRotation is the keeper of the BPA user's generated password:
	// a new value makes a new password (bpa:credentialsRotation mongoUser;
	// see password.RotationKeeper).
	PasswordRotation string
	// EndpointAssumeRoleArn, when set, creates the VPC endpoint and its
	// security group through a second AWS provider assuming this role (an
	// account the VPC is shared with; bpa:atlasEndpointAssumeRoleArn).
	EndpointAssumeRoleArn string
}

// Mongo is the Atlas cluster and what the workload needs to reach it.
type Mongo struct {
	pulumi.ResourceState

	ProjectId   pulumi.StringOutput
	ClusterName pulumi.StringOutput
	// ConnectionString is the cluster's private-endpoint SRV string (secret).
	ConnectionString pulumi.StringOutput
	Username         pulumi.StringOutput
	// Password is the BPA user's generated password (secret).
	Password pulumi.StringOutput
	// AuthSource is the database the user authenticates against.
	AuthSource pulumi.StringOutput
	// UserSecretArn is the Secrets Manager secret holding user, password and
	// connection string as JSON.
	UserSecretArn pulumi.StringOutput
	// EndpointServiceLink is the Atlas registration of the VPC endpoint; a
	// release that connects to the cluster waits for it.
	EndpointServiceLink     pulumi.Resource
	EndpointSecurityGroupId pulumi.IDOutput
}

// Check reports every problem of the arguments.
func (a *Args) Check() error {
	if a == nil {
		return component.ErrNoArgs
	}
	errs := []error{a.Stack.Check()}
	required := map[string]string{
		"InstanceSize": a.InstanceSize, "Version": a.Version,
		"PasswordRotation": a.PasswordRotation,
	}
	for field, v := range required {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is required", field))
		}
	}
	if (a.OrgID == "") == (a.ProjectID == "") {
		errs = append(errs, errors.New("exactly one of OrgID and ProjectID must be set"))
	}
	if len(a.Databases) == 0 {
		errs = append(errs, errors.New("the BPA user needs at least one database (Databases is empty)"))
	}
	if (a.AtlasPublicKey == nil) != (a.AtlasPrivateKey == nil) {
		errs = append(errs, errors.New("AtlasPublicKey and AtlasPrivateKey are set together or not at all"))
	}
	if a.EndpointAssumeRoleArn != "" && len(a.Tags) == 0 {
		errs = append(errs, errors.New("an EndpointAssumeRoleArn needs Tags (the endpoint provider's default tags)"))
	}
	for field, v := range map[string]any{"VpcId": a.VpcId, "DataSubnetIds": a.DataSubnetIds, "PodCidr": a.PodCidr} {
		if v == nil {
			errs = append(errs, fmt.Errorf("%s is required", field))
		}
	}
	return errors.Join(errs...)
}

// New creates the Atlas project (or uses an existing one), the
// dedicated cluster, the PrivateLink endpoint and the BPA user.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Mongo, error) {
	m := &Mongo{}
	b := &builder{ctx: ctx, name: name, args: args, parent: pulumi.Parent(m)}
	if err := component.Build(ctx, TypeToken, name, m, args, opts,
		b.atlasProvider, b.project, b.cluster, b.privateLink, b.user, b.connectionString, b.userSecret); err != nil {
		return nil, err
	}

	m.ProjectId = b.projectID
	m.ClusterName = b.clusterRes.Name
	m.ConnectionString = b.connString
	m.Username = b.userRes.Username
	m.Password = b.password
	m.AuthSource = b.userRes.AuthDatabaseName
	m.UserSecretArn = b.secretArn
	m.EndpointServiceLink = b.endpointService
	m.EndpointSecurityGroupId = b.endpointSG.ID()

	return m, ctx.RegisterResourceOutputs(m, pulumi.Map{
		"projectId":               m.ProjectId,
		"clusterName":             m.ClusterName,
		"connectionString":        m.ConnectionString,
		"username":                m.Username,
		"userSecretArn":           m.UserSecretArn,
		"endpointSecurityGroupId": m.EndpointSecurityGroupId,
	})
}

// builder carries what the steps of New share.
type builder struct {
	ctx    *pulumi.Context
	name   string
	args   *Args
	parent pulumi.ResourceOrInvokeOption

	atlas           pulumi.ProviderResource
	projectID       pulumi.StringOutput
	clusterRes      *mongodbatlas.AdvancedCluster
	endpointSG      *ec2.SecurityGroup
	vpcEndpointID   pulumi.IDOutput
	endpointService *mongodbatlas.PrivateLinkEndpointService
	userRes         *mongodbatlas.DatabaseUser
	password        pulumi.StringOutput
	connString      pulumi.StringOutput
	secretArn       pulumi.StringOutput
}

// onAtlas are the options of every Atlas resource: parented, and through
// the component's explicit Atlas provider.
func (b *builder) onAtlas(extra ...pulumi.ResourceOption) []pulumi.ResourceOption {
	return append([]pulumi.ResourceOption{b.parent, pulumi.Provider(b.atlas)}, extra...)
}

// physicalName is the stable Atlas name of the project, cluster and user.
func (b *builder) physicalName() string { return b.args.NamePrefix + "-bpa" }

// atlasRegion turns an AWS region name into Atlas's format
// ("us-west-2" -> "US_WEST_2").
func atlasRegion(awsRegion string) string {
	return strings.ToUpper(strings.ReplaceAll(awsRegion, "-", "_"))
}

func (b *builder) tags(suffix string) pulumi.StringMap {
	return pulumi.StringMap{"Name": pulumi.String(b.args.NamePrefix + "-" + suffix)}
}
