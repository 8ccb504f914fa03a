package postgres

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/internal/iampolicy"
	"github.com/bpa-infra/bpa-infra/internal/kmskey"
)

// Identifier is the instance's stable RDS identifier.
func Identifier(namePrefix string) string { return namePrefix + "-postgres" }

// key creates the customer-managed key for the storage, the snapshots, the
// Performance Insights data and every secret of the database.
func (b *builder) key() error {
	// RDS and Secrets Manager use the key with the caller's IAM
	// permissions, which the account statement lets IAM policies grant.
	var err error
	b.kmsKey, err = kmskey.New(b.ctx, b.name+"-key", kmskey.Args{
		Description: b.args.NamePrefix + " RDS PostgreSQL storage, snapshots and secrets",
		Alias:       b.args.NamePrefix + "-postgres",
		Tags:        b.tags("postgres-key"),
		Region:      b.args.Region,
		Account:     b.args.Account,
		Protect:     b.args.Protect,
	}, b.parent)
	if err != nil {
		return err
	}
	return nil
}

// securityGroup admits PostgreSQL only from the tiers that use it: the
// nodes, the pods (custom networking gives them their own range) and the
// bastion for administrators' port forwarding. No egress: RDS opens no
// connections of its own.
func (b *builder) securityGroup() error {
	var err error
	b.sg, err = ec2.NewSecurityGroup(b.ctx, b.name, &ec2.SecurityGroupArgs{
		VpcId:       b.args.VpcId,
		Description: pulumi.String("PostgreSQL from the EKS nodes, the pod range and the bastion"),
		Tags:        b.tags("postgres"),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("create security group: %w", err)
	}
	type source struct {
		label, why string
		cidr       pulumi.StringPtrInput
		group      pulumi.StringPtrInput
	}
	sources := []source{
		{label: "pods", why: "pods (secondary range)", cidr: pulumi.String(b.args.PodCidr.String())},
		{label: "bastion", why: "SSM port forwarding from the bastion", group: b.args.BastionSecurityGroupId},
	}
	if b.args.NodeSecurityGroupId != nil {
		sources = append(sources, source{label: "nodes", why: "EKS nodes", group: b.args.NodeSecurityGroupId})
	}
	// Where `pulumi up` runs inside the VPC: the program's own provider
	// creates the roles and postgres.
	for _, c := range b.args.Deployer.Cidrs {
		sources = append(sources, source{label: "deployer-" + cidrLabel(c), why: "the deployer at " + c, cidr: pulumi.String(c)})
	}
	if b.args.Deployer.SecurityGroupId != "" {
		sources = append(sources, source{label: "deployer", why: "the deployer's security group", group: pulumi.String(b.args.Deployer.SecurityGroupId)})
	}
	for _, s := range sources {
		if _, err := vpc.NewSecurityGroupIngressRule(b.ctx, b.name+"-from-"+s.label, &vpc.SecurityGroupIngressRuleArgs{
			SecurityGroupId:           b.sg.ID(),
			Description:               pulumi.String("PostgreSQL from " + s.why),
			IpProtocol:                pulumi.String("tcp"),
			FromPort:                  pulumi.Int(Port),
			ToPort:                    pulumi.Int(Port),
			CidrIpv4:                  s.cidr,
			ReferencedSecurityGroupId: s.group,
			Tags:                      b.tags("postgres-from-" + s.label),
		}, b.parent); err != nil {
			return fmt.Errorf("admit PostgreSQL from %s: %w", s.label, err)
		}
	}
	return nil
}

// subnetGroup spans the three data subnets, so Multi-AZ has a zone to fail
// over to whichever zone is lost.
func (b *builder) subnetGroup() error {
	var err error
	b.subnets, err = rds.NewSubnetGroup(b.ctx, b.name, &rds.SubnetGroupArgs{
		Name:        pulumi.String(Identifier(b.args.NamePrefix)),
		Description: pulumi.String(b.args.NamePrefix + " PostgreSQL: the data subnets of all three zones"),
		SubnetIds:   b.args.DataSubnetIds,
		Tags:        b.tags("postgres"),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("create DB subnet group: %w", err)
	}
	return nil
}

// Parameters are the settings the parameter group changes, in order.
func Parameters(slowStatementMs int) [][2]string {
	return [][2]string{
		// Camunda's JDBC driver authenticates with md5 only. Affects
		// passwords set after it is in force, so the roles wait for it.
		{"password_encryption", "md5"},
		// RDS 15+ defaults to it; stated so a copied group cannot lose it.
		{"rds.force_ssl", "1"},
		{"log_connections", "1"},
		{"log_disconnections", "1"},
		{"log_lock_waits", "1"},
		// Schema changes are the audit trail worth keeping; data statements are not.
		{"log_statement", "ddl"},
		{"log_min_duration_statement", strconv.Itoa(slowStatementMs)},
	}
}

// parameterGroup is named after the family: a major upgrade changes the
// family and so the name, and Pulumi creates the new group before it moves
// the instance and deletes the old one (a fixed name would have to be
// deleted while the instance still uses it).
func (b *builder) parameterGroup() error {
	params := rds.ParameterGroupParameterArray{}
	for _, p := range Parameters(b.args.SlowStatementMs) {
		params = append(params, rds.ParameterGroupParameterArgs{
			Name:        pulumi.String(p[0]),
			Value:       pulumi.String(p[1]),
			ApplyMethod: pulumi.String("immediate"),
		})
	}
	var err error
	b.params, err = rds.NewParameterGroup(b.ctx, b.name, &rds.ParameterGroupArgs{
		Name:        pulumi.String(b.args.NamePrefix + "-" + b.args.ParameterFamily()),
		Family:      pulumi.String(b.args.ParameterFamily()),
		Description: pulumi.String(b.args.NamePrefix + " PostgreSQL: md5 passwords for Camunda, forced TLS, connection and slow-statement logging"),
		Parameters:  params,
		Tags:        b.tags("postgres"),
	}, b.parent, b.protect())
	if err != nil {
		return fmt.Errorf("create parameter group: %w", err)
	}
	return nil
}

// monitoringRole lets RDS publish enhanced monitoring metrics.
func (b *builder) monitoringRole() error {
	if b.args.MonitoringIntervalSeconds == 0 {
		return nil
	}
	role, err := iam.NewRole(b.ctx, b.name+"-monitoring", &iam.RoleArgs{
		Description:      pulumi.String("RDS enhanced monitoring of " + Identifier(b.args.NamePrefix)),
		AssumeRolePolicy: iampolicy.AssumeRole("monitoring.rds.amazonaws.com", iampolicy.SourceAccount(b.args.Account)),
		Tags:             b.tags("postgres-monitoring"),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("create monitoring role: %w", err)
	}
	attach, err := iam.NewRolePolicyAttachment(b.ctx, b.name+"-monitoring", &iam.RolePolicyAttachmentArgs{
		Role:      role.Name,
		PolicyArn: pulumi.String("arn:" + iampolicy.Partition(b.args.Region) + ":iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("attach monitoring policy: %w", err)
	}
	// RDS checks the role's permissions when the instance is created, so
	// the ARN is handed over only once the policy is attached.
	b.monitoringRoleArn = pulumi.All(role.Arn, attach.ID()).ApplyT(func(v []any) string { return v[0].(string) }).(pulumi.StringOutput)
	return nil
}

// logGroups creates the groups RDS exports to before the instance does, so
// they are encrypted and expire instead of RDS's unencrypted, keep-forever
// defaults.
func (b *builder) logGroups() error {
	for _, log := range LogExports {
		group, err := cloudwatch.NewLogGroup(b.ctx, b.name+"-log-"+log, &cloudwatch.LogGroupArgs{
			Name:            pulumi.String("/aws/rds/instance/" + Identifier(b.args.NamePrefix) + "/" + log),
			RetentionInDays: pulumi.Int(b.args.LogRetentionDays),
			KmsKeyId:        b.args.LogsKeyArn,
			Tags:            b.tags("postgres-" + log + "-logs"),
		}, b.parent)
		if err != nil {
			return fmt.Errorf("create %s log group: %w", log, err)
		}
		b.exportGroups = append(b.exportGroups, group)
	}
	return nil
}

// instance creates the database server itself.
func (b *builder) instance() error {
	a := b.args
	identifier := Identifier(a.NamePrefix)
	var iops pulumi.IntPtrInput
	if a.Storage.Iops > 0 {
		iops = pulumi.Int(a.Storage.Iops)
	}
	var finalSnapshot pulumi.StringPtrInput
	if a.Protect {
		finalSnapshot = pulumi.String(identifier + "-final")
	}
	var monitoringInterval pulumi.IntPtrInput = pulumi.Int(a.MonitoringIntervalSeconds)
	var err error
	b.db, err = rds.NewInstance(b.ctx, b.name, &rds.InstanceArgs{
		Identifier:       pulumi.String(identifier),
		Engine:           pulumi.String("postgres"),
		EngineVersion:    pulumi.String(a.EngineVersion),
		InstanceClass:    pulumi.String(a.InstanceClass),
		Port:             pulumi.Int(Port),
		CaCertIdentifier: pulumi.String(CACertificate),
		// A major version only ("16") lets RDS apply minor upgrades without
		// Pulumi trying to undo them; a major change is a deliberate edit
		// of postgresEngineVersion, which this permits.
		AutoMinorVersionUpgrade:  pulumi.Bool(true),
		AllowMajorVersionUpgrade: pulumi.Bool(true),

		StorageType:         pulumi.String(a.Storage.Type),
		AllocatedStorage:    pulumi.Int(a.Storage.AllocatedGiB),
		Iops:                iops,
		MaxAllocatedStorage: pulumi.Int(a.Storage.MaxAllocatedGiB),
		StorageEncrypted:    pulumi.Bool(true),
		KmsKeyId:            b.kmsKey.Arn,

		// RDS generates the master password, keeps it in Secrets Manager
		// under this key and rotates it; it never passes through config or
		// state. (Turning this off later is not clean: decided once.)
		Username:                 pulumi.String(a.MasterUsername),
		ManageMasterUserPassword: pulumi.Bool(true),
		MasterUserSecretKmsKeyId: b.kmsKey.Arn,
		// IAM database authentication on (Checkov CKV_AWS_161): a role
		// granted rds_iam may log in with a short-lived token from
		// rds-db:connect instead of a password. It changes in place, with
		// no reboot. Password authentication stays: no role here is granted
		// rds_iam (that would refuse its password), and the chart's logins
		// keep their md5 passwords, which Camunda's JDBC driver needs.
		IamDatabaseAuthenticationEnabled: pulumi.Bool(true),

		DbSubnetGroupName:   b.subnets.Name,
		VpcSecurityGroupIds: pulumi.StringArray{b.sg.ID()},
		PubliclyAccessible:  pulumi.Bool(false),
		MultiAz:             pulumi.Bool(a.MultiAz),
		NetworkType:         pulumi.String("IPV4"),
		// Attached at creation, so md5 is in force before any role exists.
		ParameterGroupName: b.params.Name,

		BackupRetentionPeriod:   pulumi.Int(a.BackupRetentionDays),
		BackupWindow:            pulumi.String(a.BackupWindow),
		MaintenanceWindow:       pulumi.String(a.MaintenanceWindow),
		CopyTagsToSnapshot:      pulumi.Bool(true),
		DeletionProtection:      pulumi.Bool(a.Protect),
		SkipFinalSnapshot:       pulumi.Bool(!a.Protect),
		FinalSnapshotIdentifier: finalSnapshot,
		// Protected stacks keep their automated backups after a deletion.
		DeleteAutomatedBackups: pulumi.Bool(!a.Protect),
		// Protected stacks take changes such as a new class in the
		// maintenance window; others at once.
		ApplyImmediately: pulumi.Bool(!a.Protect),

		PerformanceInsightsEnabled:         pulumi.Bool(true),
		PerformanceInsightsKmsKeyId:        b.kmsKey.Arn,
		PerformanceInsightsRetentionPeriod: pulumi.Int(a.PerformanceInsightsRetentionDays),
		MonitoringInterval:                 monitoringInterval,
		MonitoringRoleArn:                  b.monitoringRoleArn,
		EnabledCloudwatchLogsExports:       pulumi.ToStringArray(LogExports),

		Tags: b.tags("postgres"),
	}, b.parent, b.protect(),
		// RDS creates missing export log groups itself, unencrypted and
		// kept forever: ours must exist first.
		pulumi.DependsOn(b.exportGroups))
	if err != nil {
		return fmt.Errorf("create RDS instance: %w", err)
	}
	b.masterSecretArn = b.db.MasterUserSecrets.Index(pulumi.Int(0)).SecretArn().Elem()
	return nil
}

// cidrLabel makes a range part of a logical name ("10-0-0-0-16").
func cidrLabel(c string) string { return strings.NewReplacer(".", "-", "/", "-").Replace(c) }
