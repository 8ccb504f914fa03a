package databases

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-mongodbatlas/sdk/v3/go/mongodbatlas"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// MongoTypeToken is the Mongo component's type in URNs.
const MongoTypeToken = "bpa:databases:Mongo"

// MongoAtlasPort range: a PrivateLink connection to a dedicated cluster
// reaches each node on its own port, assigned by Atlas from 1024 upward.
const (
	MongoAtlasPortFrom = 1024
	MongoAtlasPortTo   = 65535
)

// MongoArgs describe the Atlas project, cluster, PrivateLink and user.
type MongoArgs struct {
	// NamePrefix starts every physical name ("acme-prod").
	NamePrefix string
	// Region is the stack's AWS region in AWS format ("us-west-2"); the
	// Atlas side gets it in Atlas format ("US_WEST_2").
	Region string
	// Account is the AWS account id the stack deploys to (key policies and
	// ARNs name it), looked up once by the program.
	Account pulumi.StringOutput

	// Exactly one of OrgID (create a project there) and ProjectID (use an
	// existing project) is set.
	OrgID     string
	ProjectID string
	// InstanceSize is the dedicated tier (M10 and up) of the three nodes.
	InstanceSize string
	// MongoVersion is the major version, e.g. "8.0".
	MongoVersion string
	// Databases are the only databases the BPA user may read and write.
	Databases []string
	// Backup turns on cloud backup with point-in-time restore.
	Backup bool
	// PasswordRotation is the keeper of the BPA user's generated password:
	// a new value makes a new password (see RotationKeeper).
	PasswordRotation string
	// Protect marks the project, cluster and KMS key protected and turns on
	// Atlas termination protection.
	Protect bool

	// AtlasPublicKey and AtlasPrivateKey are the Atlas API keys (secrets);
	// both nil means the Atlas provider reads MONGODB_ATLAS_PUBLIC_KEY and
	// MONGODB_ATLAS_PRIVATE_KEY from its environment.
	AtlasPublicKey  pulumi.StringInput
	AtlasPrivateKey pulumi.StringInput

	// EndpointAssumeRoleArn, when set, creates the VPC endpoint and its
	// security group through a second AWS provider assuming this role (an
	// account the VPC is shared with).
	EndpointAssumeRoleArn string
	// Tags label the Atlas project and cluster, and are the default tags of
	// the endpoint provider when EndpointAssumeRoleArn is set.
	Tags map[string]string

	VpcId pulumi.StringInput
	// DataSubnetIds hold the VPC endpoint's interfaces, one per zone.
	DataSubnetIds pulumi.StringArrayInput
	// PodCidr is admitted to the endpoint (pods use VPC CNI custom networking).
	PodCidr pulumi.StringInput
	// NodeSecurityGroupId is admitted to the endpoint; nil until the cluster
	// exists, then only the pod range is admitted.
	NodeSecurityGroupId pulumi.StringInput
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

func (a *MongoArgs) validate() error {
	var errs []error
	if a.Account.OutputState == nil {
		errs = append(errs, errors.New("the Account id is required"))
	}
	required := map[string]string{
		"NamePrefix": a.NamePrefix, "Region": a.Region, "InstanceSize": a.InstanceSize, "MongoVersion": a.MongoVersion,
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

// NewMongo creates the Atlas project (or uses an existing one), the
// dedicated cluster, the PrivateLink endpoint and the BPA user.
func NewMongo(ctx *pulumi.Context, name string, args *MongoArgs, opts ...pulumi.ResourceOption) (*Mongo, error) {
	if args == nil {
		return nil, errors.New("mongo: args are required")
	}
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("mongo: invalid args: %w", err)
	}
	m := &Mongo{}
	if err := ctx.RegisterComponentResource(MongoTypeToken, name, m, opts...); err != nil {
		return nil, err
	}
	b := &mongoBuilder{ctx: ctx, name: name, args: args, parent: pulumi.Parent(m)}
	steps := []func() error{b.atlasProvider, b.project, b.cluster, b.privateLink, b.user, b.connectionString, b.userSecret}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, fmt.Errorf("mongo %s: %w", name, err)
		}
	}

	m.ProjectId = b.projectID
	m.ClusterName = b.clusterRes.Name
	m.ConnectionString = b.connString
	m.Username = b.userRes.Username
	m.Password = pulumi.ToSecret(b.password).(pulumi.StringOutput)
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

// mongoBuilder carries what the steps of NewMongo share.
type mongoBuilder struct {
	ctx    *pulumi.Context
	name   string
	args   *MongoArgs
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
func (b *mongoBuilder) onAtlas(extra ...pulumi.ResourceOption) []pulumi.ResourceOption {
	return append([]pulumi.ResourceOption{b.parent, pulumi.Provider(b.atlas)}, extra...)
}

// physicalName is the stable Atlas name of the project, cluster and user.
func (b *mongoBuilder) physicalName() string { return b.args.NamePrefix + "-bpa" }

// mongoAtlasRegion turns an AWS region name into Atlas's format
// ("us-west-2" -> "US_WEST_2").
func mongoAtlasRegion(awsRegion string) string {
	return strings.ToUpper(strings.ReplaceAll(awsRegion, "-", "_"))
}

func (b *mongoBuilder) tags(suffix string) pulumi.StringMap {
	return pulumi.StringMap{"Name": pulumi.String(b.args.NamePrefix + "-" + suffix)}
}
