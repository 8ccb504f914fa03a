package postgres

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/internal/component"
)

// TypeToken is the Postgres component's type in URNs.
const TypeToken = "bpa:databases:Postgres"

// Port is the port RDS listens on; the bastion's egress and the
// port-forward command use the same one.
const Port = 5432

// ForwardPort is the local port of the suggested SSM port forward
// (5432 is often taken by a local PostgreSQL).
const ForwardPort = 15432

// SSLMode is what every client must use: RDS for PostgreSQL 15 and
// later refuses unencrypted connections (rds.force_ssl=1).
const SSLMode = "require"

// CACertificate is the RDS certificate authority the guide names.
const CACertificate = "rds-ca-rsa2048-g1"

// LogExports are the logs RDS publishes to CloudWatch.
var LogExports = []string{"postgresql", "upgrade"}

// Args describe the RDS instance and what is created on it.
type Args struct {
	component.Stack
	VpcId pulumi.StringInput
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
	// Deployer is where `pulumi up` runs inside the VPC (a CI runner); it
	// reaches PostgreSQL as the bastion does.
	Deployer component.Deployer
	// AdminEndpoint overrides where the program's postgresql provider
	// connects (localhost:15432 through an SSM port forward); the zero
	// value means the instance's endpoint (a run inside the VPC).
	AdminEndpoint Endpoint
	// Settings are the stack's choices; Stack.Protect also turns on
	// deletion protection and the final snapshot.
	Settings
}

// Endpoint is a host and port; the zero value means unset.
type Endpoint struct {
	Host string
	Port int
}

// Settings are what a stack decides about the database: the instance,
// its storage, backups and monitoring, and the logins on it; internal/config
// decodes them from the bpa:postgres* keys, whose defaults Pulumi.yaml holds.
type Settings struct {
	// EngineVersion is a major version ("16", RDS picks the current minor and
	// upgrades it automatically) or a major.minor pin ("16.8").
	EngineVersion string
	InstanceClass string
	Storage       Storage
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
	Root    AppDatabase
	Kong    AppDatabase
	Camunda AppDatabase
}

// ParameterFamily is the parameter group family of EngineVersion ("postgres16").
func (s Settings) ParameterFamily() string {
	return "postgres" + strings.SplitN(s.EngineVersion, ".", 2)[0]
}

// Storage is the instance's storage.
type Storage struct {
	Type         string // gp3, io1 or io2
	AllocatedGiB int
	// Iops is provisioned IOPS: required for io1/io2; for gp3 only from
	// 400 GiB up (below that gp3 has a fixed 3000-IOPS baseline); 0 = baseline.
	Iops int
	// MaxAllocatedGiB is the storage autoscaling ceiling; 0 turns autoscaling off.
	MaxAllocatedGiB int
}

// AppDatabase is one application's login role and its database.
type AppDatabase struct {
	Role     string
	Database string
	// PasswordRotation is the keeper of the login's generated password: a
	// new value makes a new password (see password.RotationKeeper).
	PasswordRotation string
}

// Login is one login the chart uses.
type Login struct {
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
	Root            Login
	Kong            Login
	Camunda         Login
	SSLMode         string
	SecurityGroupId pulumi.IDOutput
	// Ready are the roles, databases and grants: whatever connects as one of the
	// chart's logins (root, Kong, Camunda) must wait for them.
	Ready []pulumi.Resource
	// PortForwardCommand forwards ForwardPort on the caller's machine to the
	// instance through the bastion.
	PortForwardCommand pulumi.StringOutput
}

var majorVersionPattern = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// Check reports every problem of the arguments.
func (a *Args) Check() error {
	if a == nil {
		return component.ErrNoArgs
	}
	errs := []error{a.Stack.Check()}
	required := map[string]bool{
		"VpcId":         a.VpcId == nil,
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
	if !majorVersionPattern.MatchString(a.EngineVersion) {
		errs = append(errs, fmt.Errorf("EngineVersion %q is not a PostgreSQL version such as 16 or 16.8", a.EngineVersion))
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
	if e := a.AdminEndpoint; e.Host != "" && (e.Port < 1 || e.Port > 65535) {
		errs = append(errs, fmt.Errorf("AdminEndpoint.Port %d is not a TCP port", e.Port))
	}
	roles, dbs := map[string]bool{}, map[string]bool{}
	for _, l := range []AppDatabase{a.Root, a.Kong, a.Camunda} {
		roles[l.Role], dbs[l.Database] = true, true
	}
	if len(roles) != 3 || len(dbs) != 3 {
		errs = append(errs, errors.New("root, Kong and Camunda need their own role and database"))
	}
	return errors.Join(errs...)
}

// New creates the instance, the application roles and databases on
// it, and their secrets.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Postgres, error) {
	c := &Postgres{}
	b := &builder{ctx: ctx, name: name, args: args, parent: pulumi.Parent(c)}
	if err := component.Build(ctx, TypeToken, name, c, args, opts,
		b.key, b.securityGroup, b.subnetGroup, b.parameterGroup, b.monitoringRole, b.logGroups, b.instance,
		b.provider, b.applications,
	); err != nil {
		return nil, err
	}

	c.Address = b.db.Address
	c.Port = b.db.Port
	c.MasterSecretArn = b.masterSecretArn
	c.Root, c.Kong, c.Camunda = b.logins[0], b.logins[1], b.logins[2]
	c.SSLMode = SSLMode
	c.SecurityGroupId = b.sg.ID()
	c.Ready = b.ready
	c.PortForwardCommand = pulumi.Sprintf(
		"aws ssm start-session --region %s --target %s --document-name AWS-StartPortForwardingSessionToRemoteHost --parameters host=%s,portNumber=%d,localPortNumber=%d",
		args.Region, args.BastionInstanceId, b.db.Address, Port, ForwardPort)

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

// builder carries what the steps of New share.
type builder struct {
	ctx    *pulumi.Context
	name   string
	args   *Args
	parent pulumi.ResourceOrInvokeOption

	kmsKey            *kms.Key
	sg                *ec2.SecurityGroup
	subnets           *rds.SubnetGroup
	params            *rds.ParameterGroup
	monitoringRoleArn pulumi.StringPtrInput
	exportGroups      []pulumi.Resource
	db                *rds.Instance
	masterSecretArn   pulumi.StringOutput
	pg                pulumi.ProviderResource
	logins            []Login
	ready             []pulumi.Resource
}

// protect applies the stack's protection to a stateful resource.
func (b *builder) protect() pulumi.ResourceOption { return pulumi.Protect(b.args.Protect) }

// tags gives a resource its Name; the stack-wide tags come from the
// provider's default tags.
func (b *builder) tags(suffix string) pulumi.StringMap {
	return pulumi.StringMap{"Name": pulumi.String(b.args.NamePrefix + "-" + suffix)}
}
