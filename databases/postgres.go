package databases

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// PostgresTypeToken is the Postgres component's type in URNs.
const PostgresTypeToken = "bpa:databases:Postgres"

// PostgresPort is the port RDS listens on; the bastion's egress and the
// port-forward command use the same one.
const PostgresPort = 5432

// PostgresForwardPort is the local port of the suggested SSM port forward
// (5432 is often taken by a local PostgreSQL).
const PostgresForwardPort = 15432

// PostgresSSLMode is what every client must use: RDS for PostgreSQL 15 and
// later refuses unencrypted connections (rds.force_ssl=1).
const PostgresSSLMode = "require"

// PostgresCACertificate is the RDS certificate authority the guide names.
const PostgresCACertificate = "rds-ca-rsa2048-g1"

// PostgresLogExports are the logs RDS publishes to CloudWatch.
var PostgresLogExports = []string{"postgresql", "upgrade"}

// PostgresArgs describe the RDS instance and what is created on it.
type PostgresArgs struct {
	// NamePrefix starts every physical name ("acme-prod").
	NamePrefix string
	Region     string
	// Account is the AWS account id the stack deploys to (key policies and
	// ARNs name it), looked up once by the program.
	Account pulumi.StringOutput
	VpcId   pulumi.StringInput
	// DataSubnetIds are the three data subnets the instance may live in.
	DataSubnetIds pulumi.StringArrayInput
	// PodCidr is the pods' secondary range (VPC CNI custom networking).
	PodCidr netip.Prefix
	// NodeSecurityGroupId is the cluster nodes' security group. It may be
	// nil while no cluster exists; then only the pod range and the bastion
	// are admitted.
	NodeSecurityGroupId pulumi.StringInput
	// BastionSecurityGroupId and BastionInstanceId let administrators
	// forward a local port to the instance through SSM.
	BastionSecurityGroupId pulumi.StringInput
	BastionInstanceId      pulumi.StringInput
	// LogsKeyArn encrypts the exported PostgreSQL logs.
	LogsKeyArn pulumi.StringInput
	// Protect protects stateful resources and turns on deletion protection
	// and the final snapshot.
	Protect bool

	// PostgresSettings are the stack's choices for the instance and its
	// logins (internal/config decodes them from bpa:postgres*).
	PostgresSettings
	// ParameterFamily is the parameter group family of EngineVersion ("postgres16").
	ParameterFamily string

	// AdminHost and AdminPort override where the postgresql provider
	// connects (e.g. localhost through an SSM port forward); empty AdminHost
	// means the instance's endpoint.
	AdminHost string
	AdminPort int
	// DeployerCidrs and DeployerSecurityGroupId are where `pulumi up` runs
	// inside the VPC (a CI runner); they reach PostgreSQL as the bastion does.
	DeployerCidrs           []string
	DeployerSecurityGroupId string
}

// PostgresSettings are what a stack decides about the database: the
// instance, its storage, backups and monitoring, and the logins on it.
type PostgresSettings struct {
	// EngineVersion is a major version ("16", RDS picks the current minor and
	// upgrades it automatically) or a major.minor pin ("16.8").
	EngineVersion string
	InstanceClass string
	Storage       PostgresStorage
	MultiAz       bool
	// BackupRetentionDays keeps automated backups (point-in-time recovery).
	BackupRetentionDays int
	BackupWindow        string // UTC, hh24:mi-hh24:mi
	MaintenanceWindow   string // UTC, ddd:hh24:mi-ddd:hh24:mi
	// PerformanceInsightsRetentionDays is 7 (free), 31*n up to 713, or 731.
	PerformanceInsightsRetentionDays int
	// MonitoringIntervalSeconds is the enhanced monitoring granularity; 0 turns it off.
	MonitoringIntervalSeconds int
	// LogRetentionDays keeps the exported PostgreSQL logs in CloudWatch.
	LogRetentionDays int
	// SlowStatementMs is log_min_duration_statement: every statement that
	// runs longer is logged; -1 turns it off.
	SlowStatementMs int

	// MasterUsername is the RDS master user: RDS generates and rotates its
	// password, so nothing but the program's postgresql provider uses it.
	MasterUsername string
	// Root is the login the chart gets as the guide's
	// PG_INITDB_ROOT_USERNAME / PG_ROOT_DATABASE: a role of its own with
	// CREATEDB and CREATEROLE and a generated password that never rotates
	// under it, owning its own database. Not the master user. Kong and
	// Camunda are the applications' logins.
	Root    PostgresAppDatabase
	Kong    PostgresAppDatabase
	Camunda PostgresAppDatabase
}

// PostgresStorage is the instance's storage.
type PostgresStorage struct {
	Type         string // gp3, io1 or io2
	AllocatedGiB int
	// Iops is provisioned IOPS: required for io1/io2; for gp3 only from
	// 400 GiB up (below that gp3 has a fixed 3000-IOPS baseline); 0 = baseline.
	Iops int
	// MaxAllocatedGiB is the storage autoscaling ceiling; 0 turns autoscaling off.
	MaxAllocatedGiB int
}

// PostgresAppDatabase is one application's login role and its database.
type PostgresAppDatabase struct {
	Role     string
	Database string
	// PasswordRotation is the keeper of the login's generated password: a
	// new value makes a new password (see RotationKeeper).
	PasswordRotation string
}

// PostgresLogin is one login the chart uses.
type PostgresLogin struct {
	Role      string
	Database  string
	Password  pulumi.StringOutput
	SecretArn pulumi.StringOutput
}

// Postgres is the instance and what the workload needs to reach it.
type Postgres struct {
	pulumi.ResourceState

	Address pulumi.StringOutput
	Port    pulumi.IntOutput
	// MasterSecretArn is the RDS-managed secret of the master user.
	MasterSecretArn pulumi.StringOutput
	// Root, Kong and Camunda are the chart's logins, each with its
	// generated password (a secret output) and the Secrets Manager secret
	// holding JSON {host, port, dbname, username, password, sslmode}.
	Root            PostgresLogin
	Kong            PostgresLogin
	Camunda         PostgresLogin
	SSLMode         string
	SecurityGroupId pulumi.IDOutput
	// Ready are the roles, databases and grants: whatever connects as one of the
	// chart's logins (root, Kong, Camunda) must wait for them.
	Ready []pulumi.Resource
	// PortForwardCommand forwards PostgresForwardPort on the caller's machine to the
	// instance through the bastion.
	PortForwardCommand pulumi.StringOutput
}

var postgresSetting = regexp.MustCompile(`^postgres[0-9]+$`)

func (a *PostgresArgs) validate() error {
	var errs []error
	if a.Account.OutputState == nil {
		errs = append(errs, errors.New("the Account id is required"))
	}
	required := map[string]bool{
		"NamePrefix": a.NamePrefix == "", "Region": a.Region == "", "VpcId": a.VpcId == nil,
		"DataSubnetIds": a.DataSubnetIds == nil, "BastionSecurityGroupId": a.BastionSecurityGroupId == nil,
		"BastionInstanceId": a.BastionInstanceId == nil, "LogsKeyArn": a.LogsKeyArn == nil,
		"EngineVersion": a.EngineVersion == "", "InstanceClass": a.InstanceClass == "",
		"MasterUsername": a.MasterUsername == "", "Root.Role": a.Root.Role == "", "Root.Database": a.Root.Database == "",
		"Kong.Role": a.Kong.Role == "", "Kong.Database": a.Kong.Database == "",
		"Camunda.Role": a.Camunda.Role == "", "Camunda.Database": a.Camunda.Database == "",
		"Root.PasswordRotation": a.Root.PasswordRotation == "", "Kong.PasswordRotation": a.Kong.PasswordRotation == "",
		"Camunda.PasswordRotation": a.Camunda.PasswordRotation == "",
		"BackupWindow":             a.BackupWindow == "", "MaintenanceWindow": a.MaintenanceWindow == "",
	}
	for _, field := range slices.Sorted(maps.Keys(required)) {
		if required[field] {
			errs = append(errs, fmt.Errorf("%s is required", field))
		}
	}
	if !a.PodCidr.IsValid() {
		errs = append(errs, errors.New("PodCidr is required"))
	}
	if !postgresSetting.MatchString(a.ParameterFamily) {
		errs = append(errs, fmt.Errorf("ParameterFamily %q is not a postgres family such as postgres16", a.ParameterFamily))
	}
	if a.Storage.Type == "" || a.Storage.AllocatedGiB <= 0 {
		errs = append(errs, fmt.Errorf("storage %+v needs a type and a size", a.Storage))
	}
	if a.BackupRetentionDays < 1 {
		errs = append(errs, errors.New("BackupRetentionDays must be at least 1"))
	}
	if a.LogRetentionDays <= 0 || a.PerformanceInsightsRetentionDays <= 0 {
		errs = append(errs, errors.New("LogRetentionDays and PerformanceInsightsRetentionDays must be positive"))
	}
	if a.AdminHost != "" && (a.AdminPort < 1 || a.AdminPort > 65535) {
		errs = append(errs, fmt.Errorf("AdminPort %d is not a TCP port", a.AdminPort))
	}
	roles, dbs := map[string]bool{}, map[string]bool{}
	for _, l := range []PostgresAppDatabase{a.Root, a.Kong, a.Camunda} {
		roles[l.Role], dbs[l.Database] = true, true
	}
	if len(roles) != 3 || len(dbs) != 3 {
		errs = append(errs, errors.New("root, Kong and Camunda need their own role and database"))
	}
	return errors.Join(errs...)
}

// NewPostgres creates the instance, the application roles and databases on
// it, and their secrets.
func NewPostgres(ctx *pulumi.Context, name string, args *PostgresArgs, opts ...pulumi.ResourceOption) (*Postgres, error) {
	if args == nil {
		return nil, errors.New("postgres: args are required")
	}
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("postgres: invalid args: %w", err)
	}
	c := &Postgres{}
	if err := ctx.RegisterComponentResource(PostgresTypeToken, name, c, opts...); err != nil {
		return nil, err
	}
	b := &postgresBuilder{ctx: ctx, name: name, args: args, parent: pulumi.Parent(c)}
	b.account = args.Account

	steps := []func() error{
		b.key, b.securityGroup, b.subnetGroup, b.parameterGroup, b.monitoringRole, b.logGroups, b.instance,
		b.provider, b.applications,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, fmt.Errorf("postgres %s: %w", name, err)
		}
	}

	c.Address = b.db.Address
	c.Port = b.db.Port
	c.MasterSecretArn = b.masterSecretArn
	c.Root, c.Kong, c.Camunda = b.logins[0], b.logins[1], b.logins[2]
	c.SSLMode = PostgresSSLMode
	c.SecurityGroupId = b.sg.ID()
	c.Ready = b.ready
	c.PortForwardCommand = pulumi.Sprintf(
		"aws ssm start-session --region %s --target %s --document-name AWS-StartPortForwardingSessionToRemoteHost --parameters host=%s,portNumber=%d,localPortNumber=%d",
		args.Region, args.BastionInstanceId, b.db.Address, PostgresPort, PostgresForwardPort)

	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"address":            c.Address,
		"port":               c.Port,
		"masterSecretArn":    c.MasterSecretArn,
		"rootSecretArn":      c.Root.SecretArn,
		"kongSecretArn":      c.Kong.SecretArn,
		"camundaSecretArn":   c.Camunda.SecretArn,
		"securityGroupId":    c.SecurityGroupId,
		"portForwardCommand": c.PortForwardCommand,
	})
}

// postgresBuilder carries what the steps of NewPostgres share.
type postgresBuilder struct {
	ctx     *pulumi.Context
	name    string
	args    *PostgresArgs
	parent  pulumi.ResourceOrInvokeOption
	account pulumi.StringOutput

	kmsKey            *kms.Key
	sg                *ec2.SecurityGroup
	subnets           *rds.SubnetGroup
	params            *rds.ParameterGroup
	monitoringRoleArn pulumi.StringPtrInput
	exportGroups      []pulumi.Resource
	db                *rds.Instance
	masterSecretArn   pulumi.StringOutput
	pg                pulumi.ProviderResource
	logins            []PostgresLogin
	ready             []pulumi.Resource
}

// protect applies the stack's protection to a stateful resource.
func (b *postgresBuilder) protect() pulumi.ResourceOption { return pulumi.Protect(b.args.Protect) }

// tags gives a resource its Name; the stack-wide tags come from the
// provider's default tags.
func (b *postgresBuilder) tags(suffix string) pulumi.StringMap {
	return pulumi.StringMap{"Name": pulumi.String(b.args.NamePrefix + "-" + suffix)}
}
