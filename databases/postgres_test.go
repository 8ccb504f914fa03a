package databases_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/databases"
	"github.com/bpa-infra/bpa-infra/internal/harness"
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
	c := rec.OfType(databases.PostgresTypeToken)
	if len(c) != 1 {
		t.Fatalf("want one %s, got %d", databases.PostgresTypeToken, len(c))
	}
	return c[0]
}

func TestEveryPostgresResourceIsParentedToTheComponent(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		c := postgresComponent(t, rec)
		if len(rec.Children(c.URN)) < 20 {
			t.Fatalf("only %d children under the postgres component", len(rec.Children(c.URN)))
		}
		for _, r := range rec.Resources {
			if strings.HasPrefix(r.Name, "postgres-") && r.Parent != c.URN {
				t.Errorf("%s %s is not parented to the postgres component", r.Type, r.Name)
			}
		}
	})
}

func TestInstanceSettingsPerStack(t *testing.T) {
	t.Parallel()
	common := map[string]any{
		"identifier": "", "engine": "postgres", "engineVersion": "16", "port": 5432.0, "dbName": "admin",
		"username": "admin", "manageMasterUserPassword": true, "publiclyAccessible": false,
		"storageEncrypted": true, "caCertIdentifier": "rds-ca-rsa2048-g1", "copyTagsToSnapshot": true,
		"autoMinorVersionUpgrade": true, "performanceInsightsEnabled": true,
		"performanceInsightsRetentionPeriod": 7.0, "monitoringInterval": 60.0,
		"backupWindow": "09:00-10:00", "maintenanceWindow": "sun:10:30-sun:11:30",
	}
	perStack := map[string]map[string]any{
		"prod": {
			"identifier": "acme-prod-postgres", "instanceClass": "db.m5d.2xlarge", "storageType": "io2",
			"allocatedStorage": 400.0, "iops": 3000.0, "maxAllocatedStorage": 1000.0, "multiAz": true,
			"backupRetentionPeriod": 7.0, "deletionProtection": true, "skipFinalSnapshot": false,
			"finalSnapshotIdentifier": "acme-prod-postgres-final", "deleteAutomatedBackups": false,
		},
		"dev": {
			"identifier": "acme-dev-postgres", "instanceClass": "db.t4g.medium", "storageType": "gp3",
			"allocatedStorage": 20.0, "iops": nil, "maxAllocatedStorage": 100.0, "multiAz": false,
			"backupRetentionPeriod": 1.0, "deletionProtection": false, "skipFinalSnapshot": true,
			"finalSnapshotIdentifier": nil, "deleteAutomatedBackups": true,
		},
	}
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		db := stacktest.Must(t, rec, pgInstance, "postgres")
		want := map[string]any{}
		for k, v := range common {
			want[k] = v
		}
		for k, v := range perStack[stack] {
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
		if db.Protect != (stack == "prod") {
			t.Errorf("instance protect = %v in %s", db.Protect, stack)
		}
		key := stacktest.Must(t, rec, pgKey, "postgres-key")
		for _, field := range []string{"kmsKeyId", "masterUserSecretKmsKeyId", "performanceInsightsKmsKeyId"} {
			if !slices.Contains(db.PropertyDependencies[field], key.URN) {
				t.Errorf("instance %s is not the postgres KMS key", field)
			}
		}
		if stacktest.Input(key, "enableKeyRotation") != true || key.Protect != (stack == "prod") {
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
	rec := stacktest.Resolved(t, "prod")
	trust := stacktest.Input(rec.Find("aws:iam/role:Role", "postgres-monitoring"), "assumeRolePolicy").(string)
	if !strings.Contains(trust, "monitoring.rds.amazonaws.com") || !strings.Contains(trust, harness.MockAccountID) {
		t.Errorf("monitoring role trust is not limited to RDS monitoring for this account: %s", trust)
	}
}

func TestExportedLogsGoToEncryptedGroupsCreatedFirst(t *testing.T) {
	t.Parallel()
	retention := map[string]float64{"dev": 30, "prod": 365}
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		db := stacktest.Must(t, rec, pgInstance, "postgres")
		logsKey := stacktest.Must(t, rec, pgKey, "network-logs-key")
		for _, log := range []string{"postgresql", "upgrade"} {
			g := stacktest.Must(t, rec, pgLogGroup, "postgres-log-"+log)
			if want := "/aws/rds/instance/acme-" + stack + "-postgres/" + log; stacktest.Input(g, "name") != want {
				t.Errorf("log group name %v, want %s (the name RDS exports to)", stacktest.Input(g, "name"), want)
			}
			if stacktest.Input(g, "retentionInDays") != retention[stack] {
				t.Errorf("%s log retention %v, want %v", log, stacktest.Input(g, "retentionInDays"), retention[stack])
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
		if stacktest.Input(pg, "family") != "postgres16" || stacktest.Input(pg, "name") != "acme-"+stack+"-postgres16" {
			t.Errorf("parameter group family %v name %v", stacktest.Input(pg, "family"), stacktest.Input(pg, "name"))
		}
		if pg.Protect != (stack == "prod") {
			t.Errorf("parameter group protect = %v", pg.Protect)
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
			"log_min_duration_statement": "1000", "log_statement": "ddl",
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
		for _, az := range []string{"us-west-2a", "us-west-2b", "us-west-2c"} {
			data = append(data, stacktest.Must(t, rec, "aws:ec2/subnet:Subnet", "network-data-"+az).URN)
		}
		if got := sg.PropertyDependencies["subnetIds"]; !slices.Equal(got, data) {
			t.Errorf("subnet group uses %v, want the three data subnets", got)
		}
		if stacktest.Input(sg, "name") != "acme-"+stack+"-postgres" {
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
	stacktest.ForEachStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
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
			case stacktest.Input(r, "cidrIpv4") == "100.64.0.0/16":
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
	stacktest.ForEachStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		providers := rec.OfType(pgProvider)
		if len(providers) != 1 {
			t.Fatalf("want one explicit postgresql provider, got %d", len(providers))
		}
		p := providers[0]
		db := stacktest.Must(t, rec, pgInstance, "postgres")
		for path, want := range map[string]string{
			"superuser": "false", "sslmode": "require", "username": "admin", "database": "admin",
			"expectedVersion": "16", "connectTimeout": "15",
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
		for _, typ := range []string{pgRole, pgDatabase, pgGrantRole, pgGrant} {
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
	rec, err := stacktest.Run(t, "dev", func(cfg map[string]string) {
		cfg["bpa:postgresAdminHost"] = "localhost"
		cfg["bpa:postgresAdminPort"] = "15432"
	})
	if err != nil {
		t.Fatal(err)
	}
	p := rec.OfType(pgProvider)[0]
	if stacktest.Input(p, "host") != "localhost" || fmt.Sprint(stacktest.Input(p, "port")) != "15432" {
		t.Errorf("provider goes to %v:%v, want localhost:15432", stacktest.Input(p, "host"), stacktest.Input(p, "port"))
	}
	// The app secrets still name the real endpoint, not the forward.
	db := stacktest.Must(t, rec, pgInstance, "postgres")
	for _, label := range []string{"kong", "camunda"} {
		v := stacktest.Must(t, rec, pgSecretVer, "postgres-"+label)
		if !slices.Contains(v.PropertyDependencies["secretString"], db.URN) {
			t.Errorf("%s does not take its host from the instance", v.Name)
		}
	}
	// Roles still wait for the md5 parameter group although the provider no
	// longer depends on the instance.
	for _, r := range rec.OfType(pgRole) {
		if !rec.DependsOn(r, stacktest.Must(t, rec, pgParams, "postgres")) || !rec.DependsOn(r, db) {
			t.Errorf("role %s does not wait for the instance and its parameter group", r.Name)
		}
	}
}

func TestRolesAndDatabasesWithTheirOwners(t *testing.T) {
	t.Parallel()
	want := map[string][2]string{"kong": {"kong", "kong"}, "camunda": {"camunda", "process-engine"}}
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		if n := len(rec.OfType(pgRole)); n != 2 {
			t.Errorf("%d roles, want kong and camunda", n)
		}
		for label, names := range want {
			role := stacktest.Must(t, rec, pgRole, "postgres-"+label)
			db := stacktest.Must(t, rec, pgDatabase, "postgres-"+label)
			if stacktest.Input(role, "name") != names[0] || stacktest.Input(role, "login") != true {
				t.Errorf("role %v login %v", stacktest.Input(role, "name"), stacktest.Input(role, "login"))
			}
			for _, attr := range []string{"superuser", "createDatabase", "createRole"} {
				if v := stacktest.Input(role, attr); v == true {
					t.Errorf("role %s has %s", names[0], attr)
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
			if stacktest.Input(db, "name") != names[1] || !slices.Contains(db.PropertyDependencies["owner"], role.URN) {
				t.Errorf("database %v is not owned by role %s", stacktest.Input(db, "name"), names[0])
			}
			for _, r := range []*harness.Resource{role, db} {
				if r.Protect != (stack == "prod") {
					t.Errorf("%s protect = %v in %s (dropping it loses data)", r.Name, r.Protect, stack)
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

func TestDatabasesWaitForTheMasterUsersMembershipInTheirOwner(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		for _, label := range []string{"kong", "camunda"} {
			m := stacktest.Must(t, rec, pgGrantRole, "postgres-"+label+"-to-master")
			role := stacktest.Must(t, rec, pgRole, "postgres-"+label)
			if stacktest.Input(m, "role") != "admin" || !slices.Contains(m.PropertyDependencies["grantRole"], role.URN) {
				t.Errorf("membership %v", m.Plain())
			}
			if db := stacktest.Must(t, rec, pgDatabase, "postgres-"+label); !slices.Contains(db.Dependencies, m.URN) {
				t.Errorf("database %s is created before the master user may SET ROLE to its owner", db.Name)
			}
		}
	})
}

func TestDatabasesDoNotWaitForTheCluster(t *testing.T) {
	t.Parallel()
	rec := stacktest.Preview(t, "prod")
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
		for label, want := range map[string][2]string{"kong": {"kong", "kong"}, "camunda": {"camunda", "process-engine"}} {
			s := stacktest.Must(t, rec, pgSecret, "postgres-"+label)
			if stacktest.Input(s, "name") != "bpa/acme-"+stack+"/postgres/"+label {
				t.Errorf("secret name %v", stacktest.Input(s, "name"))
			}
			if !slices.Contains(s.PropertyDependencies["kmsKeyId"], key.URN) {
				t.Errorf("secret %s is not encrypted with the postgres key", label)
			}
			recovery := map[string]float64{"dev": 0, "prod": 30}[stack]
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
			if doc["host"] != "acme-"+stack+"-postgres.cmockabcdefg.us-west-2.rds.amazonaws.com" || doc["port"] != 5432.0 ||
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
	for _, stack := range stacktest.Stacks {
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

func TestStatefulResourcesAreProtectedOnlyInProd(t *testing.T) {
	t.Parallel()
	stacktest.ForEachStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		for _, r := range []*harness.Resource{
			stacktest.Must(t, rec, pgInstance, "postgres"), stacktest.Must(t, rec, pgParams, "postgres"),
			stacktest.Must(t, rec, pgKey, "postgres-key"),
		} {
			if r.Protect != (stack == "prod") {
				t.Errorf("%s %s protect = %v in %s", r.Type, r.Name, r.Protect, stack)
			}
		}
	})
}

// unit runs NewPostgres alone with literal inputs.
func unit(t *testing.T, resolve bool, change func(*databases.PostgresArgs)) (*harness.Recording, *databases.Postgres, error) {
	t.Helper()
	args := &databases.PostgresArgs{
		NamePrefix: "unit-test", Region: "us-west-2", VpcId: pulumi.String("vpc-1"),
		DataSubnetIds: pulumi.ToStringArray([]string{"subnet-a", "subnet-b", "subnet-c"}),
		PodCidr:       netip.MustParsePrefix("100.64.0.0/16"), BastionSecurityGroupId: pulumi.String("sg-bastion"),
		BastionInstanceId: pulumi.String("i-bastion"), LogsKeyArn: pulumi.String("arn:aws:kms:us-west-2:123456789012:key/logs"),
		EngineVersion: "16", ParameterFamily: "postgres16", InstanceClass: "db.t4g.medium",
		Storage:             databases.PostgresStorage{Type: "gp3", AllocatedGiB: 20},
		BackupRetentionDays: 1, BackupWindow: "09:00-10:00", MaintenanceWindow: "sun:10:30-sun:11:30",
		PerformanceInsightsRetentionDays: 7, MonitoringIntervalSeconds: 60, LogRetentionDays: 30, SlowStatementMs: 1000,
		MasterUsername: "admin", AdminDatabase: "admin",
		Kong:      databases.PostgresAppDatabase{Role: "kong", Database: "kong"},
		Camunda:   databases.PostgresAppDatabase{Role: "camunda", Database: "process-engine"},
		AdminPort: 15432,
	}
	if change != nil {
		change(args)
	}
	var (
		mu sync.Mutex
		c  *databases.Postgres
	)
	rec, err := harness.Run(func(ctx *pulumi.Context) error {
		p, err := databases.NewPostgres(ctx, "postgres", args)
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

	rec, _, err = unit(t, false, func(a *databases.PostgresArgs) { a.NodeSecurityGroupId = pulumi.String("sg-nodes") })
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
	rec, _, err := unit(t, false, func(a *databases.PostgresArgs) { a.MonitoringIntervalSeconds = 0 })
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

func TestPortForwardCommandReachesTheInstanceThroughTheBastion(t *testing.T) {
	t.Parallel()
	_, c, err := unit(t, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	c.PortForwardCommand.ApplyT(func(s string) string { got <- s; return s })
	want := "aws ssm start-session --region us-west-2 --target i-bastion --document-name AWS-StartPortForwardingSessionToRemoteHost " +
		"--parameters host=unit-test-postgres.cmockabcdefg.us-west-2.rds.amazonaws.com,portNumber=5432,localPortNumber=15432"
	if s := <-got; s != want {
		t.Errorf("port forward command\n got %s\nwant %s", s, want)
	}
	if c.KongRole != "kong" || c.CamundaDatabase != "process-engine" || len(c.Ready) != 8 {
		t.Errorf("contract: roles %s/%s, %d ready resources", c.KongRole, c.CamundaDatabase, len(c.Ready))
	}
}

func TestInvalidPostgresArgsRegisterNothing(t *testing.T) {
	t.Parallel()
	rec, _, err := unit(t, false, func(a *databases.PostgresArgs) {
		a.ParameterFamily = "16"
		a.Camunda.Role = "kong"
		a.BastionInstanceId = nil
	})
	if err == nil {
		t.Fatal("invalid args accepted")
	}
	for _, says := range []string{"ParameterFamily", "own role", "BastionInstanceId is required"} {
		if !strings.Contains(err.Error(), says) {
			t.Errorf("error does not mention %s: %v", says, err)
		}
	}
	if len(rec.Resources) != 0 {
		t.Errorf("%d resources registered despite invalid args", len(rec.Resources))
	}
}

// Logical names are part of each resource's URN: renaming one replaces it.
func TestPostgresLogicalNamesAreStable(t *testing.T) {
	t.Parallel()
	stacktest.ExpectLogicalNames(t, stacktest.Preview(t, "prod"), "postgres", func(n string) bool { return n == "postgres" || strings.HasPrefix(n, "postgres-") }, postgresNames)
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
