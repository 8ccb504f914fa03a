package postgres_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi-postgresql/sdk/v3/go/postgresql"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/bpa-infra/bpa-infra/databases/postgres"
	"github.com/bpa-infra/bpa-infra/internal/cloudfake"
	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/password"
	"github.com/bpa-infra/bpa-infra/internal/plan"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
)

const (
	pgInstance    = "aws:rds/instance:Instance"
	pgParams      = "aws:rds/parameterGroup:ParameterGroup"
	pgSubnetGroup = "aws:rds/subnetGroup:SubnetGroup"
	pgSG          = "aws:ec2/securityGroup:SecurityGroup"
	pgIngress     = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	pgEgress      = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	pgKey         = "aws:kms/key:Key"
	pgLogGroup    = "aws:cloudwatch/logGroup:LogGroup"
	pgSecret      = "aws:secretsmanager/secret:Secret"
	pgSecretVer   = "aws:secretsmanager/secretVersion:SecretVersion"
	pgProvider    = "pulumi:providers:postgresql"
	pgRole        = "postgresql:index/role:Role"
	pgDatabase    = "postgresql:index/database:Database"
	pgGrantRole   = "postgresql:index/grantRole:GrantRole"
	pgGrant       = "postgresql:index/grant:Grant"
	pgPassword    = "random:index/randomPassword:RandomPassword"

	// The made-up secrets the mocks hand out (internal/harness/mockdata.go).
	mockMasterPassword    = "mock-master-password-Zq8v"
	mockGeneratedPassword = "mock-generated-password-"
)

func postgresComponent(t *testing.T, rec *harness.Recording) *harness.Resource {
	t.Helper()
	c := rec.OfType(postgres.TypeToken)
	if len(c) != 1 {
		t.Fatalf("want one %s, got %d", postgres.TypeToken, len(c))
	}
	return c[0]
}

func TestEveryPostgresResourceIsParentedToTheComponent(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		stacktest.Component(t, rec, postgres.TypeToken, "postgres")
	})
}

func TestInstanceSettingsPerStack(t *testing.T) {
	t.Parallel()
	// The same in every stack.
	common := map[string]any{
		"engine": "postgres", "port": 5432.0,
		// RDS creates only the postgres database (no dbName).
		"dbName": nil, "manageMasterUserPassword": true, "publiclyAccessible": false,
		"storageEncrypted": true, "caCertIdentifier": "rds-ca-rsa2048-g1", "copyTagsToSnapshot": true,
		"autoMinorVersionUpgrade": true, "performanceInsightsEnabled": true,
		// IAM database authentication on (CKV_AWS_161); passwords still work
		// for roles not granted rds_iam.
		"iamDatabaseAuthenticationEnabled": true,
	}
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		db := stacktest.Must(t, rec, pgInstance, "postgres")
		setting := func(key string) string { return stacktest.Setting(t, stack, "bpa:"+key) }
		number := func(key string) float64 { return float64(stacktest.SettingInt(t, stack, "bpa:"+key)) }
		identifier, protect := stacktest.NamePrefix(t, stack)+"-postgres", stacktest.Protected(t, stack)
		// bpa:postgresIops 0 is the storage type's baseline: no iops input.
		var iops any
		if n := number("postgresIops"); n != 0 {
			iops = n
		}
		// Protected stacks delete nothing without a final snapshot.
		var finalSnapshot any
		if protect {
			finalSnapshot = identifier + "-final"
		}
		want := map[string]any{
			"identifier": identifier, "engineVersion": setting("postgresEngineVersion"),
			// RDS refuses admin as the master user.
			"username":                           setting("postgresMasterUsername"),
			"instanceClass":                      setting("postgresInstanceClass"),
			"storageType":                        setting("postgresStorageType"),
			"allocatedStorage":                   number("postgresAllocatedStorage"),
			"iops":                               iops,
			"maxAllocatedStorage":                number("postgresMaxAllocatedStorage"),
			"multiAz":                            stacktest.SettingBool(t, stack, "bpa:postgresMultiAz"),
			"backupRetentionPeriod":              number("postgresBackupRetentionDays"),
			"backupWindow":                       setting("postgresBackupWindow"),
			"maintenanceWindow":                  setting("postgresMaintenanceWindow"),
			"performanceInsightsRetentionPeriod": number("postgresPerformanceInsightsRetentionDays"),
			"monitoringInterval":                 number("postgresMonitoringInterval"),
			"deletionProtection":                 protect,
			"skipFinalSnapshot":                  !protect,
			"finalSnapshotIdentifier":            finalSnapshot,
			"deleteAutomatedBackups":             !protect,
		}
		for k, v := range common {
			want[k] = v
		}
		for path, w := range want {
			if got := stacktest.Input(db, path); got != w {
				t.Errorf("instance %s = %v, want %v", path, got, w)
			}
		}
		if got := stacktest.Input(db, "enabledCloudwatchLogsExports"); !slices.Equal(toStrings(got), []string{"postgresql", "upgrade"}) {
			t.Errorf("log exports %v, want postgresql and upgrade", got)
		}
		if db.Protect != protect {
			t.Errorf("instance protect = %v in %s, want bpa:protect %v", db.Protect, stack, protect)
		}
		key := stacktest.Must(t, rec, pgKey, "postgres-key")
		for _, field := range []string{"kmsKeyId", "masterUserSecretKmsKeyId", "performanceInsightsKmsKeyId"} {
			if !slices.Contains(db.PropertyDependencies[field], key.URN) {
				t.Errorf("instance %s is not the postgres KMS key", field)
			}
		}
		if stacktest.Input(key, "enableKeyRotation") != true || key.Protect != protect {
			t.Errorf("postgres key: rotation %v, protect %v", stacktest.Input(key, "enableKeyRotation"), key.Protect)
		}
		for field, dep := range map[string]*harness.Resource{
			"dbSubnetGroupName":   stacktest.Must(t, rec, pgSubnetGroup, "postgres"),
			"vpcSecurityGroupIds": stacktest.Must(t, rec, pgSG, "postgres"),
			"parameterGroupName":  stacktest.Must(t, rec, pgParams, "postgres"),
		} {
			if !slices.Equal(db.PropertyDependencies[field], []string{dep.URN}) {
				t.Errorf("instance %s comes from %v, want %s", field, db.PropertyDependencies[field], dep.Name)
			}
		}
		if stacktest.Input(db, "password") != nil {
			t.Error("instance has a master password input; RDS must generate and keep it")
		}
	})
}

func TestEnhancedMonitoringHasAScopedRoleWithItsPolicyAttached(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		db := stacktest.Must(t, rec, pgInstance, "postgres")
		role := stacktest.Must(t, rec, "aws:iam/role:Role", "postgres-monitoring")
		attach := stacktest.Must(t, rec, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "postgres-monitoring")
		if stacktest.Input(attach, "policyArn") != "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole" {
			t.Errorf("monitoring policy %v", stacktest.Input(attach, "policyArn"))
		}
		// RDS validates the role's permissions at creation.
		deps := db.PropertyDependencies["monitoringRoleArn"]
		if !slices.Contains(deps, role.URN) || !slices.Contains(deps, attach.URN) {
			t.Errorf("monitoringRoleArn depends on %v, want the role and its policy attachment", deps)
		}
	})
	rec := stacktest.Resolved(t, stacktest.Live)
	trust := stacktest.Input(rec.Find("aws:iam/role:Role", "postgres-monitoring"), "assumeRolePolicy").(string)
	if !strings.Contains(trust, "monitoring.rds.amazonaws.com") || !strings.Contains(trust, harness.MockAccountID) {
		t.Errorf("monitoring role trust is not limited to RDS monitoring for this account: %s", trust)
	}
}

func TestExportedLogsGoToEncryptedGroupsCreatedFirst(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		db := stacktest.Must(t, rec, pgInstance, "postgres")
		logsKey := stacktest.Must(t, rec, pgKey, "network-logs-key")
		retention := float64(stacktest.SettingInt(t, stack, "bpa:postgresLogRetentionDays"))
		for _, log := range []string{"postgresql", "upgrade"} {
			g := stacktest.Must(t, rec, pgLogGroup, "postgres-log-"+log)
			if want := "/aws/rds/instance/" + stacktest.NamePrefix(t, stack) + "-postgres/" + log; stacktest.Input(g, "name") != want {
				t.Errorf("log group name %v, want %s (the name RDS exports to)", stacktest.Input(g, "name"), want)
			}
			if stacktest.Input(g, "retentionInDays") != retention {
				t.Errorf("%s log retention %v, want %v", log, stacktest.Input(g, "retentionInDays"), retention)
			}
			if !slices.Contains(g.PropertyDependencies["kmsKeyId"], logsKey.URN) {
				t.Errorf("%s log group is not encrypted with the logs key", log)
			}
			if !slices.Contains(db.Dependencies, g.URN) {
				t.Errorf("instance does not wait for the %s log group; RDS would create it unencrypted", log)
			}
		}
	})
}

func TestParameterGroupIsMd5OfTheEngineFamilyAppliedImmediately(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		pg := stacktest.Must(t, rec, pgParams, "postgres")
		// The family follows the major of bpa:postgresEngineVersion ("16",
		// "16.8": postgres16).
		family := "postgres" + strings.SplitN(stacktest.Setting(t, stack, "bpa:postgresEngineVersion"), ".", 2)[0]
		if stacktest.Input(pg, "family") != family || stacktest.Input(pg, "name") != stacktest.NamePrefix(t, stack)+"-"+family {
			t.Errorf("parameter group family %v name %v, want %s", stacktest.Input(pg, "family"), stacktest.Input(pg, "name"), family)
		}
		if pg.Protect != stacktest.Protected(t, stack) {
			t.Errorf("parameter group protect = %v, want bpa:protect", pg.Protect)
		}
		got := map[string]string{}
		for _, p := range stacktest.Input(pg, "parameters").([]any) {
			m := p.(map[string]any)
			if m["applyMethod"] != "immediate" {
				t.Errorf("parameter %v is not applied immediately", m["name"])
			}
			got[m["name"].(string)] = m["value"].(string)
		}
		for name, want := range map[string]string{
			"password_encryption": "md5", "rds.force_ssl": "1", "log_connections": "1",
			"log_min_duration_statement": strconv.Itoa(stacktest.SettingInt(t, stack, "bpa:postgresSlowStatementMs")),
			"log_statement":              "ddl",
		} {
			if got[name] != want {
				t.Errorf("parameter %s = %q, want %q", name, got[name], want)
			}
		}
	})
}

func TestSubnetGroupSpansTheThreeDataSubnets(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		sg := stacktest.Must(t, rec, pgSubnetGroup, "postgres")
		var data []string
		for _, az := range stacktest.Zones(t, stack) {
			data = append(data, stacktest.Must(t, rec, "aws:ec2/subnet:Subnet", "network-data-"+az).URN)
		}
		if got := sg.PropertyDependencies["subnetIds"]; !slices.Equal(got, data) {
			t.Errorf("subnet group uses %v, want the three data subnets", got)
		}
		if stacktest.Input(sg, "name") != stacktest.NamePrefix(t, stack)+"-postgres" {
			t.Errorf("subnet group name %v", stacktest.Input(sg, "name"))
		}
	})
}

// rulesOf returns the ingress and egress rules of a security group.
func rulesOf(rec *harness.Recording, sg *harness.Resource) (in, out []*harness.Resource) {
	for _, r := range rec.OfType(pgIngress) {
		if slices.Contains(r.PropertyDependencies["securityGroupId"], sg.URN) {
			in = append(in, r)
		}
	}
	for _, r := range rec.OfType(pgEgress) {
		if slices.Contains(r.PropertyDependencies["securityGroupId"], sg.URN) {
			out = append(out, r)
		}
	}
	return in, out
}

func TestSecurityGroupAdmitsPostgresOnlyFromPodsNodesAndBastion(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		pods := stacktest.Setting(t, stack, "bpa:podCidr")
		sg := stacktest.Must(t, rec, pgSG, "postgres")
		if stacktest.Input(sg, "ingress") != nil || stacktest.Input(sg, "egress") != nil {
			t.Errorf("security group has inline rules: %v", sg.Plain())
		}
		in, out := rulesOf(rec, sg)
		if len(out) != 0 {
			t.Errorf("RDS security group has egress rules %v", out)
		}
		bastion := stacktest.Must(t, rec, pgSG, "network-bastion")
		sources := map[string]bool{}
		for _, r := range in {
			if stacktest.Input(r, "ipProtocol") != "tcp" || stacktest.Input(r, "fromPort") != 5432.0 || stacktest.Input(r, "toPort") != 5432.0 {
				t.Errorf("rule %s opens %v %v-%v", r.Name, stacktest.Input(r, "ipProtocol"), stacktest.Input(r, "fromPort"), stacktest.Input(r, "toPort"))
			}
			switch {
			case stacktest.Input(r, "cidrIpv4") == pods:
				sources["pods"] = true
			case slices.Contains(r.PropertyDependencies["referencedSecurityGroupId"], bastion.URN):
				sources["bastion"] = true
			case r.Name == "postgres-from-nodes" && len(r.PropertyDependencies["referencedSecurityGroupId"]) == 1:
				sources["nodes"] = true
			default:
				t.Errorf("rule %s admits an unexpected source: %v", r.Name, r.Plain())
			}
		}
		if !sources["pods"] || !sources["bastion"] {
			t.Errorf("PostgreSQL must be reachable from the pod range and the bastion, got %v", sources)
		}
	})
}

func TestProviderWorksAgainstRdsAsItIs(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		providers := rec.OfType(pgProvider)
		if len(providers) != 1 {
			t.Fatalf("want one explicit postgresql provider, got %d", len(providers))
		}
		p := providers[0]
		db := stacktest.Must(t, rec, pgInstance, "postgres")
		for path, want := range map[string]string{
			"superuser": "false", "sslmode": "require", "database": "postgres", "connectTimeout": "15",
			"username":        stacktest.Setting(t, stack, "bpa:postgresMasterUsername"),
			"expectedVersion": stacktest.Setting(t, stack, "bpa:postgresEngineVersion"),
		} {
			// Provider inputs may travel as JSON-encoded strings.
			if got := stacktest.Input(p, path); fmt.Sprint(got) != want {
				t.Errorf("provider %s = %#v, want %q", path, got, want)
			}
		}
		if !p.Inputs["password"].ContainsSecrets() && !p.Inputs["password"].IsComputed() && !isUnknownOutput(p.Inputs["password"]) {
			t.Errorf("provider password is neither secret nor unknown: %v", p.Plain()["password"])
		}
		// Without an override, the provider goes to the instance's endpoint.
		if !slices.Contains(p.PropertyDependencies["host"], db.URN) {
			t.Errorf("provider host comes from %v, want the instance", p.PropertyDependencies["host"])
		}
		for _, typ := range []string{pgRole, pgDatabase, pgGrant} {
			for _, r := range rec.OfType(typ) {
				if r.Provider != p.URN {
					t.Errorf("%s %s uses provider %q, not the explicit one", typ, r.Name, r.Provider)
				}
			}
		}
	})
}

func TestProviderHostAndPortCanPointAtAPortForward(t *testing.T) {
	t.Parallel()
	rec, _, err := unit(t, false, func(a *postgres.Args) {
		a.AdminEndpoint = postgres.Endpoint{Host: "localhost", Port: postgres.ForwardPort}
	})
	if err != nil {
		t.Fatal(err)
	}
	checkProviderThroughPortForward(t, rec, "localhost", "15432")
}

// BPA_POSTGRES_ADMIN_ENDPOINT is read from the process environment, so this
// check cannot run in parallel with the others (t.Setenv forbids it).
func TestAdminEndpointFromTheEnvironmentRedirectsTheProvider(t *testing.T) {
	t.Setenv("BPA_POSTGRES_ADMIN_ENDPOINT", "127.0.0.1:25432")
	rec, err := stacktest.Run(t, stacktest.Lab, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkProviderThroughPortForward(t, rec, "127.0.0.1", "25432")
}

func checkProviderThroughPortForward(t *testing.T, rec *harness.Recording, host, port string) {
	t.Helper()
	providers := rec.OfType(pgProvider)
	if len(providers) != 1 {
		t.Fatalf("want one postgresql provider, got %d", len(providers))
	}
	p := providers[0]
	if stacktest.Input(p, "host") != host || fmt.Sprint(stacktest.Input(p, "port")) != port {
		t.Errorf("provider goes to %v:%v, want %s:%s", stacktest.Input(p, "host"), stacktest.Input(p, "port"), host, port)
	}
	if stacktest.Input(p, "database") != "postgres" {
		t.Errorf("provider database %v, want postgres", stacktest.Input(p, "database"))
	}
	// The login secrets still name the real endpoint, not the forward.
	db := stacktest.Must(t, rec, pgInstance, "postgres")
	for _, label := range pgLogins {
		v := stacktest.Must(t, rec, pgSecretVer, "postgres-"+label)
		if !slices.Contains(v.PropertyDependencies["secretString"], db.URN) {
			t.Errorf("%s does not take its host from the instance", v.Name)
		}
	}
	// Roles still wait for the md5 parameter group although the provider no
	// longer depends on the instance.
	params := stacktest.Must(t, rec, pgParams, "postgres")
	for _, r := range rec.OfType(pgRole) {
		if !rec.DependsOn(r, params) || !rec.DependsOn(r, db) {
			t.Errorf("role %s does not wait for the instance and its parameter group", r.Name)
		}
	}
}

// pgLogins are the labels of the chart's logins, in creation order.
var pgLogins = []string{"root", "kong", "camunda"}

// pgWant are each login's role and database in the unit runs (unit).
var pgWant = map[string][2]string{"root": {"admin", "admin"}, "kong": {"kong", "kong"}, "camunda": {"camunda", "process-engine"}}

// pgLogin is a login of a stack as its settings name it.
type pgLogin struct{ role, database, rotation string }

// pgStackLogins are each login's role, database and password rotation
// label in a stack: bpa:postgres<Login>User, bpa:postgres<Login>Database and
// bpa:credentialsRotation's postgres<Login>.
func pgStackLogins(t *testing.T, stack string) map[string]pgLogin {
	t.Helper()
	out := map[string]pgLogin{}
	for _, label := range pgLogins {
		key := "postgres" + strings.ToUpper(label[:1]) + label[1:]
		out[label] = pgLogin{
			role:     stacktest.Setting(t, stack, "bpa:"+key+"User"),
			database: stacktest.Setting(t, stack, "bpa:"+key+"Database"),
			rotation: stacktest.RotationLabel(t, stack, key),
		}
	}
	return out
}

func TestRolesAndDatabasesWithTheirOwners(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		if n := len(rec.OfType(pgRole)); n != 3 {
			t.Errorf("%d roles, want root, kong and camunda", n)
		}
		if n := len(rec.OfType(pgDatabase)); n != 3 {
			t.Errorf("%d databases, want root's, kong's and camunda's", n)
		}
		protect := stacktest.Protected(t, stack)
		for label, login := range pgStackLogins(t, stack) {
			names := [2]string{login.role, login.database}
			role := stacktest.Must(t, rec, pgRole, "postgres-"+label)
			db := stacktest.Must(t, rec, pgDatabase, "postgres-"+label)
			if stacktest.Input(role, "name") != names[0] || stacktest.Input(role, "login") != true {
				t.Errorf("role %v login %v", stacktest.Input(role, "name"), stacktest.Input(role, "login"))
			}
			if stacktest.Input(role, "superuser") == true {
				t.Errorf("role %s is a superuser", names[0])
			}
			// Only the chart's root login may create databases and roles,
			// as the guide's PG_INITDB_ROOT_USERNAME could.
			root := label == "root"
			for _, attr := range []string{"createDatabase", "createRole"} {
				if v := stacktest.Input(role, attr); v != root {
					t.Errorf("role %s %s = %v, want %v", names[0], attr, v, root)
				}
			}
			if stacktest.Input(role, "password") != harness.SecretMarker && stacktest.Input(role, "password") != harness.UnknownMarker {
				t.Errorf("role %s password is shown as %v", names[0], stacktest.Input(role, "password"))
			}
			pw := stacktest.Must(t, rec, pgPassword, "postgres-"+label+"-password")
			if !slices.Contains(role.PropertyDependencies["password"], pw.URN) {
				t.Errorf("role %s password is not the generated one", names[0])
			}
			if stacktest.Input(pw, "length") != 32.0 || stacktest.Input(pw, "overrideSpecial") != "-_" {
				t.Errorf("password %s: %v", pw.Name, pw.Plain())
			}
			// Its only keeper is the stack's rotation label.
			if keepers, _ := stacktest.Input(pw, "keepers").(map[string]any); len(keepers) != 1 || keepers[password.RotationKeeper] != login.rotation {
				t.Errorf("password %s keepers %v, want only %s %s", pw.Name, keepers, password.RotationKeeper, login.rotation)
			}
			if stacktest.Input(db, "name") != names[1] || !slices.Contains(db.PropertyDependencies["owner"], role.URN) {
				t.Errorf("database %v is not owned by role %s", stacktest.Input(db, "name"), names[0])
			}
			for _, r := range []*harness.Resource{role, db} {
				if r.Protect != protect {
					t.Errorf("%s protect = %v in %s, want bpa:protect %v (dropping it loses data)", r.Name, r.Protect, stack, protect)
				}
			}
			revoke := stacktest.Must(t, rec, pgGrant, "postgres-"+label+"-no-public")
			if stacktest.Input(revoke, "role") != "public" || stacktest.Input(revoke, "objectType") != "database" ||
				len(stacktest.Input(revoke, "privileges").([]any)) != 0 || !slices.Contains(revoke.PropertyDependencies["database"], db.URN) {
				t.Errorf("PUBLIC keeps rights on %s: %v", names[1], revoke.Plain())
			}
		}
	})
}

func TestRolesWaitForTheMd5ParameterGroupAndTheInstance(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		db := stacktest.Must(t, rec, pgInstance, "postgres")
		params := stacktest.Must(t, rec, pgParams, "postgres")
		for _, role := range rec.OfType(pgRole) {
			if !slices.Contains(role.Dependencies, db.URN) || !slices.Contains(role.Dependencies, params.URN) {
				t.Errorf("role %s does not wait explicitly for the instance and the md5 parameter group: %v", role.Name, role.Dependencies)
			}
		}
		if !slices.Contains(db.PropertyDependencies["parameterGroupName"], params.URN) {
			t.Error("the md5 parameter group is not attached at instance creation")
		}
	})
}

// PostgreSQL 16 lets the (non-superuser) master create a database owned by
// another role only while it may SET ROLE to it; the provider (v1.25.0)
// grants and revokes that membership itself. A GrantRole would read PG16's
// implicit ADMIN membership back and replace itself on every run.
func TestNoGrantRoleAndDatabasesWaitOnlyForTheirOwner(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		for _, r := range rec.OfType(pgGrantRole) {
			t.Errorf("GrantRole %s exists: %v", r.Name, r.Plain())
		}
		for _, label := range pgLogins {
			db := stacktest.Must(t, rec, pgDatabase, "postgres-"+label)
			role := stacktest.Must(t, rec, pgRole, "postgres-"+label)
			for _, d := range db.Dependencies {
				if dep := rec.ByURN(d); dep == nil || dep.Type == pgGrantRole {
					t.Errorf("database %s waits for %s", db.Name, d)
				}
			}
			if !slices.Equal(db.Dependencies, []string{role.URN}) {
				t.Errorf("database %s waits for %v, want only its owner %s", db.Name, db.Dependencies, role.Name)
			}
		}
	})
}

func TestDatabasesDoNotWaitForTheCluster(t *testing.T) {
	t.Parallel()
	rec := stacktest.Preview(t, stacktest.Live)
	c := postgresComponent(t, rec)
	nodes := stacktest.Must(t, rec, pgIngress, "postgres-from-nodes")
	nodeSG := nodes.PropertyDependencies["referencedSecurityGroupId"]
	if len(nodeSG) != 1 || rec.ByURN(nodeSG[0]).Type != pgSG || !strings.HasPrefix(rec.ByURN(nodeSG[0]).Name, "cluster") {
		t.Fatalf("nodes rule does not reference the cluster's node security group: %v", nodeSG)
	}
	for _, r := range rec.Resources {
		if r.Parent != c.URN {
			continue
		}
		for _, d := range r.Dependencies {
			dep := rec.ByURN(d)
			if dep == nil || strings.HasPrefix(dep.Name, "postgres") || strings.HasPrefix(dep.Name, "network") {
				continue
			}
			if r != nodes || d != nodeSG[0] {
				t.Errorf("%s waits for %s %s", r.Name, dep.Type, dep.Name)
			}
		}
	}
}

// secretElement unwraps a recorded secret for inspection in tests only.
func secretElement(v resource.PropertyValue) (resource.PropertyValue, bool) {
	switch {
	case v.IsSecret():
		return v.SecretValue().Element, true
	case v.IsOutput() && v.OutputValue().Secret:
		return v.OutputValue().Element, true
	}
	return v, false
}

func isUnknownOutput(v resource.PropertyValue) bool {
	return v.IsOutput() && !v.OutputValue().Known
}

func TestApplicationSecretsAreEncryptedAndHoldTheConnection(t *testing.T) {
	t.Parallel()
	stacktest.ForEachResolvedStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		key := stacktest.Must(t, rec, pgKey, "postgres-key")
		prefix := stacktest.NamePrefix(t, stack)
		// The fake cloud's endpoint of the stack's instance (cloudfake).
		host := prefix + "-postgres.cmockabcdefg." + cloudfake.Region + ".rds.amazonaws.com"
		for label, login := range pgStackLogins(t, stack) {
			want := [2]string{login.role, login.database}
			s := stacktest.Must(t, rec, pgSecret, "postgres-"+label)
			if name := "bpa/" + prefix + "/postgres/" + label; stacktest.Input(s, "name") != name {
				t.Errorf("secret name %v, want %s", stacktest.Input(s, "name"), name)
			}
			if !slices.Contains(s.PropertyDependencies["kmsKeyId"], key.URN) {
				t.Errorf("secret %s is not encrypted with the postgres key", label)
			}
			recovery := stacktest.RecoveryWindow(t, stack)
			if stacktest.Input(s, "recoveryWindowInDays") != recovery {
				t.Errorf("secret %s recovery window %v, want %v", label, stacktest.Input(s, "recoveryWindowInDays"), recovery)
			}
			v := stacktest.Must(t, rec, pgSecretVer, "postgres-"+label)
			if stacktest.Input(v, "secretString") != harness.SecretMarker {
				t.Fatalf("secret string of %s is not a secret: %v", label, stacktest.Input(v, "secretString"))
			}
			inner, _ := secretElement(v.Inputs["secretString"])
			var doc map[string]any
			if err := json.Unmarshal([]byte(inner.StringValue()), &doc); err != nil {
				t.Fatal(err)
			}
			if doc["host"] != host || doc["port"] != 5432.0 ||
				doc["dbname"] != want[1] || doc["username"] != want[0] || doc["sslmode"] != "require" ||
				doc["password"] != mockGeneratedPassword+"postgres-"+label+"-password" {
				t.Errorf("secret %s holds %v", label, keysOf(doc))
			}
		}
	})
}

func keysOf(m map[string]any) []string {
	var out []string
	for k, v := range m {
		if k == "password" {
			v = "(redacted)"
		}
		out = append(out, k+"="+toString(v))
	}
	sort.Strings(out)
	return out
}

// No password may appear in plain text anywhere in the plan, resolved or not.
func TestNoPasswordInPlainTextAnywhere(t *testing.T) {
	t.Parallel()
	for _, stack := range stacktest.EveryStack(t) {
		for _, resolved := range []bool{false, true} {
			name := stack
			if resolved {
				name += "-resolved"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				rec := stacktest.Preview(t, stack)
				if resolved {
					rec = stacktest.Resolved(t, stack)
					// The search below means something only if the mock
					// passwords really reached the program.
					p := rec.OfType(pgProvider)[0]
					inner, secret := secretElement(p.Inputs["password"])
					if !secret || !inner.IsString() || inner.StringValue() != mockMasterPassword {
						t.Fatalf("provider password is not the master secret's password, as a secret")
					}
				}
				var buf bytes.Buffer
				if err := plan.WriteJSON(&buf, plan.Build(rec)); err != nil {
					t.Fatal(err)
				}
				var text bytes.Buffer
				if err := plan.WriteText(&text, rec, plan.Build(rec), true); err != nil {
					t.Fatal(err)
				}
				for _, out := range []string{buf.String(), text.String()} {
					for _, pw := range []string{mockMasterPassword, mockGeneratedPassword} {
						if strings.Contains(out, pw) {
							t.Errorf("plan shows a password (%s...) in plain text", pw[:12])
						}
					}
				}
				for _, r := range rec.Resources {
					if s := toString(r.Plain()); strings.Contains(s, mockMasterPassword) || strings.Contains(s, mockGeneratedPassword) {
						t.Errorf("%s %s has a password in plain text among its inputs", r.Type, r.Name)
					}
				}
			})
		}
	}
}

func TestStatefulResourcesAreProtectedExactlyWhereProtectIsSet(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		protect := stacktest.Protected(t, stack)
		for _, r := range []*harness.Resource{
			stacktest.Must(t, rec, pgInstance, "postgres"), stacktest.Must(t, rec, pgParams, "postgres"),
			stacktest.Must(t, rec, pgKey, "postgres-key"),
		} {
			if r.Protect != protect {
				t.Errorf("%s %s protect = %v in %s, want bpa:protect %v", r.Type, r.Name, r.Protect, stack, protect)
			}
		}
	})
}

// unitArgs are valid arguments for running the component on its own.
func unitArgs() *postgres.Args {
	return &postgres.Args{
		Stack: stacktest.UnitStack(), VpcId: pulumi.String("vpc-1"),
		DataSubnetIds: pulumi.ToStringArray([]string{"subnet-a", "subnet-b", "subnet-c"}),
		PodCidr:       netip.MustParsePrefix("100.64.0.0/16"), BastionSecurityGroupId: pulumi.String("sg-bastion"),
		BastionInstanceId: pulumi.String("i-bastion"), LogsKeyArn: pulumi.String("arn:aws:kms:us-west-2:123456789012:key/logs"),
		Settings: postgres.Settings{
			EngineVersion: "16", InstanceClass: "db.t4g.medium",
			Storage:             postgres.Storage{Type: "gp3", AllocatedGiB: 20},
			BackupRetentionDays: 1, BackupWindow: "09:00-10:00", MaintenanceWindow: "sun:10:30-sun:11:30",
			PerformanceInsightsRetentionDays: 7, MonitoringIntervalSeconds: 60, LogRetentionDays: 30, SlowStatementMs: 1000,
			MasterUsername: "bpa_master",
			Root:           postgres.AppDatabase{Role: "admin", Database: "admin", PasswordRotation: "initial"},
			Kong:           postgres.AppDatabase{Role: "kong", Database: "kong", PasswordRotation: "initial"},
			Camunda:        postgres.AppDatabase{Role: "camunda", Database: "process-engine", PasswordRotation: "initial"},
		},
	}
}

// unit runs New alone on unitArgs after change.
func unit(t *testing.T, resolve bool, change func(*postgres.Args)) (*harness.Recording, *postgres.Postgres, error) {
	t.Helper()
	args := unitArgs()
	if change != nil {
		change(args)
	}
	return runUnit(args, resolve)
}

// runUnit runs New alone on args.
func runUnit(args *postgres.Args, resolve bool) (*harness.Recording, *postgres.Postgres, error) {
	var (
		mu sync.Mutex
		c  *postgres.Postgres
	)
	rec, err := harness.Run(func(ctx *pulumi.Context) error {
		p, err := postgres.New(ctx, "postgres", args)
		mu.Lock()
		c = p
		mu.Unlock()
		return err
	}, harness.Options{Stack: "unit", Resolve: resolve})
	return rec, c, err
}

func TestNodeSecurityGroupIsOptionalUntilTheClusterExists(t *testing.T) {
	t.Parallel()
	rec, _, err := unit(t, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	in, _ := rulesOf(rec, stacktest.Must(t, rec, pgSG, "postgres"))
	if len(in) != 2 || rec.Find(pgIngress, "postgres-from-nodes") != nil {
		t.Errorf("without a node security group want the pods and bastion rules only, got %d", len(in))
	}

	rec, _, err = unit(t, false, func(a *postgres.Args) { a.NodeSecurityGroupId = pulumi.String("sg-nodes") })
	if err != nil {
		t.Fatal(err)
	}
	nodes := rec.Find(pgIngress, "postgres-from-nodes")
	if nodes == nil || stacktest.Input(nodes, "referencedSecurityGroupId") != "sg-nodes" || stacktest.Input(nodes, "fromPort") != 5432.0 {
		t.Fatalf("node security group is not admitted on 5432")
	}
	if stacktest.Input(nodes, "cidrIpv4") != nil {
		t.Error("node rule also opens a CIDR")
	}
}

func TestMonitoringOffCreatesNoRole(t *testing.T) {
	t.Parallel()
	rec, _, err := unit(t, false, func(a *postgres.Args) { a.MonitoringIntervalSeconds = 0 })
	if err != nil {
		t.Fatal(err)
	}
	if rec.Find("aws:iam/role:Role", "postgres-monitoring") != nil {
		t.Error("monitoring role created with monitoring off")
	}
	if db := stacktest.Must(t, rec, pgInstance, "postgres"); stacktest.Input(db, "monitoringInterval") != 0.0 || stacktest.Input(db, "monitoringRoleArn") != nil {
		t.Errorf("instance monitoring %v role %v", stacktest.Input(db, "monitoringInterval"), stacktest.Input(db, "monitoringRoleArn"))
	}
}

// await resolves an output of a finished unit run (tests only; never print
// a secret's value).
func await(t *testing.T, o pulumi.Output) internals.UnsafeAwaitOutputResult {
	t.Helper()
	r, err := internals.UnsafeAwaitOutput(context.Background(), o)
	if err != nil {
		t.Fatalf("await output: %v", err)
	}
	if !r.Known {
		t.Fatal("output is unknown")
	}
	return r
}

func TestPortForwardCommandReachesTheInstanceThroughTheBastion(t *testing.T) {
	t.Parallel()
	_, c, err := unit(t, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("aws ssm start-session --region us-west-2 --target i-bastion --document-name AWS-StartPortForwardingSessionToRemoteHost "+
		"--parameters host=unit-test-postgres.cmockabcdefg.us-west-2.rds.amazonaws.com,portNumber=5432,localPortNumber=%d", postgres.ForwardPort)
	if s := await(t, c.PortForwardCommand).Value; s != want {
		t.Errorf("port forward command\n got %s\nwant %s", s, want)
	}
	if postgres.ForwardPort != 15432 {
		t.Errorf("ForwardPort %d, want 15432 (5432 is often a local PostgreSQL)", postgres.ForwardPort)
	}
}

func TestOutputsOneLoginPerChartUser(t *testing.T) {
	t.Parallel()
	_, c, err := unit(t, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	logins := map[string]postgres.Login{"root": c.Root, "kong": c.Kong, "camunda": c.Camunda}
	for label, l := range logins {
		if want := pgWant[label]; l.Role != want[0] || l.Database != want[1] {
			t.Errorf("%s login is %s on %s, want %s on %s", label, l.Role, l.Database, want[0], want[1])
		}
		pw := await(t, l.Password)
		if !pw.Secret || pw.Value != mockGeneratedPassword+"postgres-"+label+"-password" {
			t.Errorf("%s password: secret %v, the generated one %v", label, pw.Secret, pw.Value == mockGeneratedPassword+"postgres-"+label+"-password")
		}
		// The fake cloud's ARN of the secret (cloudfake).
		if arn := await(t, l.SecretArn).Value; arn != "arn:aws:secretsmanager:us-west-2:"+harness.MockAccountID+":Secret/postgres-"+label {
			t.Errorf("%s secret ARN %v is not its Secrets Manager secret's", label, arn)
		}
	}
	if c.SSLMode != "require" {
		t.Errorf("SSLMode %q", c.SSLMode)
	}
	// Each login contributes its role, database and PUBLIC revoke; nothing
	// else (no GrantRole) is for consumers to wait for.
	if len(c.Ready) != 9 {
		t.Errorf("%d ready resources, want 9 (role, database, grant per login)", len(c.Ready))
	}
	for _, r := range c.Ready {
		switch r.(type) {
		case *postgresql.Role, *postgresql.Database, *postgresql.Grant:
		default:
			t.Errorf("Ready holds a %T", r)
		}
	}
}

// The component's own checks, which config.Load's stricter ones shadow in
// the program: every problem at once, nothing registered.
func TestComponentArgsAreCheckedBeforeAnythingIsRegistered(t *testing.T) {
	t.Parallel()
	run := func(a *postgres.Args) (*harness.Recording, error) {
		rec, _, err := runUnit(a, false)
		return rec, err
	}
	type change = stacktest.Refusal[*postgres.Args]
	stacktest.ExpectRefused(t, unitArgs, run, map[string]change{
		"nil args": {Says: []string{"args are required"}},
		"several": {Change: func(a *postgres.Args) {
			a.EngineVersion = "sixteen"
			a.Camunda.Role = "kong"
			a.BastionInstanceId = nil
		}, Says: []string{"EngineVersion", "own role", "BastionInstanceId is required"}},
		"no root":                 {Change: func(a *postgres.Args) { a.Root = postgres.AppDatabase{} }, Says: []string{"Root.Role is required", "Root.Database is required", "Root.PasswordRotation is required"}},
		"no rotation keeper":      {Change: func(a *postgres.Args) { a.Kong.PasswordRotation = "" }, Says: []string{"Kong.PasswordRotation is required"}},
		"root shares a database":  {Change: func(a *postgres.Args) { a.Root.Database = "kong" }, Says: []string{"own role and database"}},
		"root shares a role":      {Change: func(a *postgres.Args) { a.Root.Role = "camunda" }, Says: []string{"own role and database"}},
		"admin host without port": {Change: func(a *postgres.Args) { a.AdminEndpoint.Host = "localhost" }, Says: []string{"AdminEndpoint.Port 0 is not a TCP port"}},
		"no storage or backups":   {Change: func(a *postgres.Args) { a.Storage, a.BackupRetentionDays = postgres.Storage{}, 0 }, Says: []string{"needs a type and a size", "BackupRetentionDays must be at least 1"}},
	})
}

// Without an admin host the port is not used: the provider goes to the
// instance's endpoint.
func TestAdminPortIsIgnoredWithoutAnAdminHost(t *testing.T) {
	t.Parallel()
	rec, _, err := unit(t, false, func(a *postgres.Args) { a.AdminEndpoint.Port = postgres.ForwardPort })
	if err != nil {
		t.Fatal(err)
	}
	p := rec.OfType(pgProvider)[0]
	if !slices.Contains(p.PropertyDependencies["host"], stacktest.Must(t, rec, pgInstance, "postgres").URN) {
		t.Errorf("provider host comes from %v, want the instance", p.PropertyDependencies["host"])
	}
}

// Where `pulumi up` runs inside the VPC (a CI runner) reaches PostgreSQL on
// 5432 as the bastion does: the program's own provider creates the roles.
func TestDeployerIsAdmittedOnPostgresWhenConfigured(t *testing.T) {
	t.Parallel()
	rec, err := stacktest.Run(t, stacktest.Lab, func(cfg map[string]string) {
		cfg["bpa:deployerCidrs"] = `["10.20.0.0/16","192.168.4.0/24"]`
		cfg["bpa:deployerSecurityGroupId"] = "sg-0123456789abcdef0"
	})
	if err != nil {
		t.Fatal(err)
	}
	sg := stacktest.Must(t, rec, pgSG, "postgres")
	for name, want := range map[string]map[string]any{
		"postgres-from-deployer-10-20-0-0-16":   {"cidrIpv4": "10.20.0.0/16", "referencedSecurityGroupId": nil},
		"postgres-from-deployer-192-168-4-0-24": {"cidrIpv4": "192.168.4.0/24", "referencedSecurityGroupId": nil},
		"postgres-from-deployer":                {"cidrIpv4": nil, "referencedSecurityGroupId": "sg-0123456789abcdef0"},
	} {
		r := stacktest.Must(t, rec, pgIngress, name)
		want["ipProtocol"], want["fromPort"], want["toPort"] = "tcp", 5432.0, 5432.0
		for path, w := range want {
			if got := stacktest.Input(r, path); got != w {
				t.Errorf("%s %s = %v, want %v", name, path, got, w)
			}
		}
		if !slices.Contains(r.PropertyDependencies["securityGroupId"], sg.URN) {
			t.Errorf("%s is not a rule of the postgres security group", name)
		}
	}
	in, _ := rulesOf(rec, sg)
	if len(in) != 6 { // pods, bastion, nodes and the three deployer rules
		t.Errorf("%d ingress rules, want 6", len(in))
	}

	// Unconfigured, there is no deployer rule.
	for _, r := range stacktest.Preview(t, stacktest.Lab).OfType(pgIngress) {
		if strings.HasPrefix(r.Name, "postgres-from-deployer") {
			t.Errorf("%s exists without a configured deployer", r.Name)
		}
	}
}

// Logical names are part of each resource's URN: renaming one replaces it.
func TestLogicalNamesAreStable(t *testing.T) {
	t.Parallel()
	stacktest.ExpectLogicalNames(t, stacktest.Preview(t, stacktest.Live), "postgres", func(n string) bool { return n == "postgres" || strings.HasPrefix(n, "postgres-") }, postgresNames)
}

func toStrings(v any) []string {
	arr, _ := v.([]any)
	out := make([]string, len(arr))
	for i, e := range arr {
		out[i], _ = e.(string)
	}
	return out
}

func toString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// A new rotation label is a new keeper of that login's password only.
func TestRotationLabelIsTheKeeperOfItsOwnPassword(t *testing.T) {
	t.Parallel()
	rec, _, err := unit(t, false, func(a *postgres.Args) { a.Kong.PasswordRotation = "2027-06" })
	if err != nil {
		t.Fatal(err)
	}
	for label, want := range map[string]string{"root": "initial", "kong": "2027-06", "camunda": "initial"} {
		pw := stacktest.Must(t, rec, pgPassword, "postgres-"+label+"-password")
		if got := stacktest.Input(pw, "keepers."+password.RotationKeeper); got != want {
			t.Errorf("%s password keeper %v, want %s", label, got, want)
		}
	}
}
