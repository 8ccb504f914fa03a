package mongo_test

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	bpa "github.com/bpa-infra/bpa-infra"
	"github.com/bpa-infra/bpa-infra/databases/mongo"
	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/password"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
)

const (
	projectType   = "mongodbatlas:index/project:Project"
	clusterType   = "mongodbatlas:index/advancedCluster:AdvancedCluster"
	privateLink   = "mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint"
	endpointLink  = "mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService"
	userType      = "mongodbatlas:index/databaseUser:DatabaseUser"
	atlasProvider = "pulumi:providers:mongodbatlas"
	awsProvider   = "pulumi:providers:aws"
	vpcEndpoint   = "aws:ec2/vpcEndpoint:VpcEndpoint"
	sgType        = "aws:ec2/securityGroup:SecurityGroup"
	ingressType   = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	egressType    = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	secretVersion = "aws:secretsmanager/secretVersion:SecretVersion"
	lookupToken   = "mongodbatlas:index/getAdvancedCluster:getAdvancedCluster"
	assumeRoleArn = "arn:aws:iam::210987654321:role/atlas-endpoints"
)

// The stack checks run resolved (stacktest.ForEachResolvedStack): under the
// SDK's mock monitor a secret input whose value is unknown (the generated
// password, the secret JSON in a preview) fails registration ("malformed RPC
// secret"), so previews of components with generated secrets cannot be
// recorded yet. Inputs, dependencies and options are the same either way.

func dependsOnProperty(r *harness.Resource, property string, on *harness.Resource) bool {
	return slices.Contains(r.PropertyDependencies[property], on.URN)
}

// reveal returns a secret string input's plain text, for assertions
// only; nothing here is printed.
func reveal(t *testing.T, v resource.PropertyValue) string {
	t.Helper()
	for v.IsSecret() || v.IsOutput() {
		if v.IsSecret() {
			v = v.SecretValue().Element
		} else {
			v = v.OutputValue().Element
		}
	}
	if !v.IsString() {
		t.Fatalf("not a known string: %v", harness.Plain(v))
	}
	return v.StringValue()
}

func isSecret(v resource.PropertyValue) bool {
	return v.IsSecret() || (v.IsOutput() && v.OutputValue().Secret)
}

func TestEveryResourceIsParentedToTheComponent(t *testing.T) {
	t.Parallel()
	stacktest.ForEachResolvedStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		stacktest.Component(t, rec, mongo.TypeToken, "mongo")
	})
}

func TestClusterIsADedicatedThreeNodeReplicaSetOnAwsInTheStacksRegion(t *testing.T) {
	t.Parallel()
	stacktest.ForEachResolvedStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		cl := stacktest.Must(t, rec, clusterType, "mongo-cluster")
		region := "replicationSpecs.0.regionConfigs.0."
		for path, want := range map[string]any{
			"name":                                            stacktest.NamePrefix(t, stack) + "-bpa",
			"clusterType":                                     "REPLICASET",
			"mongoDbMajorVersion":                             stacktest.Setting(t, stack, "bpa:mongoVersion"),
			region + "providerName":                           "AWS",
			region + "regionName":                             atlasRegion(t, stack), // Atlas format, not us-west-2
			region + "priority":                               7.0,
			region + "electableSpecs.instanceSize":            stacktest.Setting(t, stack, "bpa:atlasInstanceSize"),
			region + "electableSpecs.nodeCount":               3.0,
			region + "autoScaling.diskGbEnabled":              true,
			region + "autoScaling.computeEnabled":             false,
			"advancedConfiguration.minimumEnabledTlsProtocol": "TLS1_2",
		} {
			if got := stacktest.Input(cl, path); got != want {
				t.Errorf("cluster %s = %v, want %v", path, got, want)
			}
		}
		if specs := stacktest.Input(cl, "replicationSpecs").([]any); len(specs) != 1 ||
			len(harness.Dig(specs[0], "regionConfigs").([]any)) != 1 {
			t.Errorf("cluster spans more than one region: %v", specs)
		}
		if stacktest.Input(cl, region+"electableSpecs.diskSizeGb") != nil {
			t.Error("a fixed disk size would fight disk auto-scaling")
		}
	})
}

// Backup follows bpa:atlasBackup and protection bpa:protect. In the
// committed stacks the two agree, so each stack is also run with
// bpa:atlasBackup flipped: backup must not follow protection (nor the
// reverse).
func TestBackupAndProtectionFollowTheStack(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, rec *harness.Recording, backup, protect, ownProject bool) {
		t.Helper()
		cl := stacktest.Must(t, rec, clusterType, "mongo-cluster")
		for path, want := range map[string]any{
			"backupEnabled": backup,
			"pitEnabled":    backup,
			// A protected stack keeps its snapshots if the cluster goes.
			"retainBackupsEnabled":         backup && protect,
			"terminationProtectionEnabled": protect,
		} {
			if got := stacktest.Input(cl, path); got != want {
				t.Errorf("cluster %s = %v, want %v", path, got, want)
			}
		}
		stateful := []*harness.Resource{cl, stacktest.Must(t, rec, "aws:kms/key:Key", "mongo-secrets-key")}
		if ownProject {
			stateful = append(stateful, stacktest.Must(t, rec, projectType, "mongo-project"))
		}
		for _, r := range stateful {
			if r.Protect != protect {
				t.Errorf("%s protect = %v, want %v", r.Name, r.Protect, protect)
			}
		}
	}
	stacktest.ForEachResolvedStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		backup := stacktest.SettingBool(t, stack, "bpa:atlasBackup")
		protect := stacktest.Protected(t, stack)
		// With bpa:atlasProjectId the project is not the stack's to protect.
		ownProject := stacktest.Setting(t, stack, "bpa:atlasOrgId") != ""
		check(t, rec, backup, protect, ownProject)

		flipped, err := run(t, stack, func(cfg map[string]string) {
			cfg["bpa:atlasBackup"] = strconv.FormatBool(!backup)
		})
		if err != nil {
			t.Fatal(err)
		}
		check(t, flipped, !backup, protect, ownProject)
	})
}

func TestProjectIsCreatedInTheConfiguredOrganization(t *testing.T) {
	t.Parallel()
	stacktest.ForEachResolvedStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		org := stacktest.Setting(t, stack, "bpa:atlasOrgId")
		if org == "" { // an existing project (bpa:atlasProjectId): none is created
			project := stacktest.Setting(t, stack, "bpa:atlasProjectId")
			if n := len(rec.OfType(projectType)); n != 0 || project == "" {
				t.Fatalf("%d projects created, existing project %q", n, project)
			}
			for _, typ := range []string{clusterType, privateLink, endpointLink, userType} {
				for _, r := range rec.OfType(typ) {
					if got := stacktest.Input(r, "projectId"); got != project {
						t.Errorf("%s projectId = %v, want %s", r.Name, got, project)
					}
				}
			}
			return
		}
		p := stacktest.Must(t, rec, projectType, "mongo-project")
		if stacktest.Input(p, "orgId") != org || stacktest.Input(p, "name") != stacktest.NamePrefix(t, stack)+"-bpa" {
			t.Errorf("project %v", p.Plain())
		}
		for _, typ := range []string{clusterType, privateLink, endpointLink, userType} {
			for _, r := range rec.OfType(typ) {
				if !dependsOnProperty(r, "projectId", p) {
					t.Errorf("%s %s is not in the stack's project", typ, r.Name)
				}
			}
		}
	})
}

func TestExistingProjectIsUsedWithoutCreatingOne(t *testing.T) {
	t.Parallel()
	rec, err := run(t, stacktest.Live, func(cfg map[string]string) {
		delete(cfg, "bpa:atlasOrgId")
		cfg["bpa:atlasProjectId"] = "65a1b2c3d4e5f60718293a4b"
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rec.OfType(projectType)); n != 0 {
		t.Errorf("%d projects created for an existing project id", n)
	}
	for _, typ := range []string{clusterType, privateLink, endpointLink, userType} {
		for _, r := range rec.OfType(typ) {
			if got := stacktest.Input(r, "projectId"); got != "65a1b2c3d4e5f60718293a4b" {
				t.Errorf("%s projectId = %v", r.Name, got)
			}
		}
	}
}

func TestAtlasResourcesUseTheComponentsAtlasProvider(t *testing.T) {
	t.Parallel()
	stacktest.ForEachResolvedStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		p := stacktest.Must(t, rec, atlasProvider, "mongo-atlas")
		n := 0
		for _, r := range rec.Resources {
			if strings.HasPrefix(r.Type, "mongodbatlas:") {
				n++
				if r.Provider != p.URN {
					t.Errorf("%s %s uses provider %q", r.Type, r.Name, r.Provider)
				}
			}
		}
		if n < 5 {
			t.Errorf("only %d Atlas resources", n)
		}
	})
}

// In the stacks the keys come from the environment, which the provider
// reads itself: nothing is set on it.
func TestAtlasKeysComeFromTheEnvironmentByDefault(t *testing.T) {
	t.Parallel()
	stacktest.ForEachResolvedStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		p := stacktest.Must(t, rec, atlasProvider, "mongo-atlas")
		for _, k := range []string{"publicKey", "privateKey"} {
			if v := stacktest.Input(p, k); v != nil {
				t.Errorf("Atlas provider %s = %v with no key in config", k, v)
			}
		}
	})
}

func TestAtlasKeysFromConfigReachTheProviderOnlyAsSecrets(t *testing.T) {
	t.Parallel()
	opts := stacktest.Options(t, stacktest.Live)
	opts.Resolve = true
	opts.Config["bpa:atlasPublicKey"] = harness.SecretPlaceholder
	opts.Config["bpa:atlasPrivateKey"] = harness.SecretPlaceholder
	opts.SecretKeys = append(opts.SecretKeys, "bpa:atlasPublicKey", "bpa:atlasPrivateKey")
	rec, err := harness.Run(bpa.Program, opts)
	if err != nil {
		t.Fatal(err)
	}
	p := stacktest.Must(t, rec, atlasProvider, "mongo-atlas")
	for _, k := range []string{"publicKey", "privateKey"} {
		v, ok := p.Inputs[resource.PropertyKey(k)]
		if !ok || !isSecret(v) || reveal(t, v) != harness.SecretPlaceholder {
			t.Errorf("Atlas provider %s is not the configured key as a secret: %v", k, stacktest.Input(p, k))
		}
	}

	// The same keys in plain text are refused before anything exists.
	opts.SecretKeys = nil
	rec, err = harness.Run(bpa.Program, opts)
	if err == nil || !strings.Contains(err.Error(), "bpa:atlasPublicKey: must be stored encrypted") {
		t.Fatalf("plain-text Atlas keys accepted: %v", err)
	}
	if len(rec.Resources) != 0 {
		t.Errorf("%d resources registered despite plain-text keys", len(rec.Resources))
	}
}

func TestPrivateLinkIdsFlowFromAtlasToAwsAndBack(t *testing.T) {
	t.Parallel()
	stacktest.ForEachResolvedStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		pl := stacktest.Must(t, rec, privateLink, "mongo-privatelink")
		vpce := stacktest.Must(t, rec, vpcEndpoint, "mongo-endpoint")
		link := stacktest.Must(t, rec, endpointLink, "mongo-endpoint-service")
		sg := stacktest.Must(t, rec, sgType, "mongo-endpoint")

		if stacktest.Input(pl, "providerName") != "AWS" || stacktest.Input(pl, "region") != atlasRegion(t, stack) {
			t.Errorf("Atlas endpoint service %v", pl.Plain())
		}
		if stacktest.Input(vpce, "vpcEndpointType") != "Interface" || stacktest.Input(vpce, "privateDnsEnabled") != false {
			t.Errorf("VPC endpoint %v", vpce.Plain())
		}
		checks := []struct {
			r        *harness.Resource
			property string
			from     *harness.Resource
		}{
			{vpce, "serviceName", pl},
			{vpce, "securityGroupIds", sg},
			{link, "privateLinkId", pl},
			{link, "endpointServiceId", vpce},
		}
		for _, c := range checks {
			if !dependsOnProperty(c.r, c.property, c.from) {
				t.Errorf("%s.%s does not come from %s", c.r.Name, c.property, c.from.Name)
			}
		}
		if stacktest.Input(link, "providerName") != "AWS" {
			t.Errorf("endpoint service provider %v", stacktest.Input(link, "providerName"))
		}
		// The endpoint sits in the data subnets, one per zone, of the VPC.
		var subnets []string
		for _, u := range vpce.PropertyDependencies["subnetIds"] {
			subnets = append(subnets, rec.ByURN(u).Name)
		}
		sort.Strings(subnets)
		var want []string
		for _, az := range stacktest.Zones(t, stack) {
			want = append(want, "network-data-"+az)
		}
		sort.Strings(want)
		if !slices.Equal(subnets, want) {
			t.Errorf("endpoint subnets %v, want %v", subnets, want)
		}
		vpc := stacktest.Must(t, rec, "aws:ec2/vpc:Vpc", "network-vpc")
		if !dependsOnProperty(vpce, "vpcId", vpc) || !dependsOnProperty(sg, "vpcId", vpc) {
			t.Error("endpoint or its security group is not in the stack's VPC")
		}
	})
}

// Creating the link waits for every cluster of the project to be IDLE but
// only logs a failure of that wait: beside a cluster still being built it
// could finish before the cluster has its private connection string.
func TestEndpointRegistrationWaitsForTheCluster(t *testing.T) {
	t.Parallel()
	stacktest.ForEachResolvedStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		link := stacktest.Must(t, rec, endpointLink, "mongo-endpoint-service")
		cl := stacktest.Must(t, rec, clusterType, "mongo-cluster")
		if !slices.Contains(link.Dependencies, cl.URN) {
			t.Errorf("endpoint service does not wait for the cluster: %v", link.Dependencies)
		}
		// The order is explicit (DependsOn): no input of the link comes
		// from the cluster.
		for property, urns := range link.PropertyDependencies {
			if slices.Contains(urns, cl.URN) {
				t.Errorf("endpoint service %s comes from the cluster", property)
			}
		}
		// The connection string is read after the link, so after the cluster.
		if v := stacktest.Must(t, rec, secretVersion, "mongo-user"); !rec.DependsOn(v, link) {
			t.Error("user secret does not wait for the endpoint service")
		}
	})
}

func TestPrivateLinkValuesResolveToWhatEachSideExpects(t *testing.T) {
	t.Parallel()
	rec := stacktest.Resolved(t, stacktest.Live)
	vpce := stacktest.Must(t, rec, vpcEndpoint, "mongo-endpoint")
	link := stacktest.Must(t, rec, endpointLink, "mongo-endpoint-service")
	if got := stacktest.Input(vpce, "serviceName"); got != "com.amazonaws.vpce.us-west-2.vpce-svc-0mock0atlas000000" {
		t.Errorf("VPC endpoint service name %v is not Atlas's endpoint service", got)
	}
	for path, want := range map[string]any{"endpointServiceId": "mongo-endpoint-id", "privateLinkId": "65f0c0ffee0000000000a7a5"} {
		if got := stacktest.Input(link, path); got != want {
			t.Errorf("endpoint service %s = %v, want %v", path, got, want)
		}
	}
}

func TestEndpointSecurityGroupAdmitsOnlyPodsAndNodesOnAtlasPorts(t *testing.T) {
	t.Parallel()
	stacktest.ForEachResolvedStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		sg := stacktest.Must(t, rec, sgType, "mongo-endpoint")
		if stacktest.Input(sg, "ingress") != nil || stacktest.Input(sg, "egress") != nil {
			t.Errorf("endpoint security group has inline rules: %v", sg.Plain())
		}
		pods := false
		for _, r := range rec.OfType(ingressType) {
			if !dependsOnProperty(r, "securityGroupId", sg) {
				continue
			}
			if stacktest.Input(r, "ipProtocol") != "tcp" || stacktest.Input(r, "fromPort") != 1024.0 || stacktest.Input(r, "toPort") != 65535.0 {
				t.Errorf("%s opens %v", r.Name, r.Plain())
			}
			cidr, sgRef := stacktest.Input(r, "cidrIpv4"), stacktest.Input(r, "referencedSecurityGroupId")
			switch {
			case cidr != nil && sgRef == nil:
				pods = pods || r.Name == "mongo-endpoint-from-pods"
				if !dependsOnProperty(r, "cidrIpv4", stacktest.Must(t, rec,
					"aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation", "network-pod-range")) {
					t.Errorf("%s admits %v, not the pod range", r.Name, cidr)
				}
			case sgRef != nil && cidr == nil && r.Name == "mongo-endpoint-from-nodes":
			default:
				t.Errorf("%s admits an unexpected source: %v", r.Name, r.Plain())
			}
		}
		if !pods {
			t.Error("the pod range is not admitted")
		}
		for _, r := range rec.OfType(egressType) {
			if dependsOnProperty(r, "securityGroupId", sg) {
				t.Errorf("endpoint security group has egress %s", r.Name)
			}
		}
	})
}

func TestEndpointAdmitsTheNodeSecurityGroupWhenGiven(t *testing.T) {
	t.Parallel()
	for name, node := range map[string]pulumi.StringInput{"with nodes": pulumi.String("sg-0nodes"), "without nodes": nil} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			args := unitArgs()
			args.NodeSecurityGroupId = node
			rec, err := runUnit(args)
			if err != nil {
				t.Fatal(err)
			}
			var rules []string
			for _, r := range rec.OfType(ingressType) {
				rules = append(rules, r.Name)
			}
			sort.Strings(rules)
			want := []string{"mongo-endpoint-from-pods"}
			if node != nil {
				want = []string{"mongo-endpoint-from-nodes", "mongo-endpoint-from-pods"}
				r := stacktest.Must(t, rec, ingressType, "mongo-endpoint-from-nodes")
				if stacktest.Input(r, "referencedSecurityGroupId") != "sg-0nodes" || stacktest.Input(r, "fromPort") != 1024.0 {
					t.Errorf("node rule %v", r.Plain())
				}
			}
			if !slices.Equal(rules, want) {
				t.Errorf("ingress rules %v, want %v", rules, want)
			}
		})
	}
}

func TestHasNoIpAccessListEntry(t *testing.T) {
	t.Parallel()
	stacktest.ForEachResolvedStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		for _, r := range rec.Resources {
			if strings.HasPrefix(r.Type, "mongodbatlas:") && strings.Contains(strings.ToLower(r.Type), "accesslist") {
				t.Errorf("%s %s opens the cluster to addresses outside PrivateLink", r.Type, r.Name)
			}
		}
	})
}

func TestUserIsScramWithReadWriteOnTheConfiguredDatabasesOfThisClusterOnly(t *testing.T) {
	t.Parallel()
	stacktest.ForEachResolvedStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		u := stacktest.Must(t, rec, userType, "mongo-user")
		if stacktest.Input(u, "authDatabaseName") != "admin" || stacktest.Input(u, "username") != stacktest.NamePrefix(t, stack)+"-bpa" {
			t.Errorf("user %v", u.Plain())
		}
		for _, k := range []string{"x509Type", "awsIamType", "ldapAuthType", "oidcAuthType"} {
			if v := stacktest.Input(u, k); v != nil && v != "NONE" {
				t.Errorf("user %s = %v: only SCRAM is wanted", k, v)
			}
		}
		var want []any
		for _, db := range stacktest.SettingList(t, stack, "bpa:atlasDatabases") {
			want = append(want, map[string]any{"roleName": "readWrite", "databaseName": db})
		}
		if len(want) == 0 {
			t.Fatal("bpa:atlasDatabases is empty")
		}
		if got := stacktest.Input(u, "roles"); !equalPlain(got, want) {
			t.Errorf("roles %v, want %v", got, want)
		}
		if stacktest.Input(u, "scopes.0.type") != "CLUSTER" || len(stacktest.Input(u, "scopes").([]any)) != 1 ||
			!dependsOnProperty(u, "scopes", stacktest.Must(t, rec, clusterType, "mongo-cluster")) {
			t.Errorf("user is not limited to the cluster: %v", stacktest.Input(u, "scopes"))
		}
		pw := stacktest.Must(t, rec, "random:index/randomPassword:RandomPassword", "mongo-user-password")
		if !dependsOnProperty(u, "password", pw) || stacktest.Input(u, "password") != harness.SecretMarker {
			t.Error("user password is not the generated password kept secret")
		}
		if stacktest.Input(pw, "length") != 32.0 {
			t.Errorf("password length %v", stacktest.Input(pw, "length"))
		}
		label := stacktest.RotationLabel(t, stack, "mongoUser")
		if keepers, _ := stacktest.Input(pw, "keepers").(map[string]any); len(keepers) != 1 || keepers[password.RotationKeeper] != label {
			t.Errorf("password keepers %v, want only the rotation label %s", keepers, label)
		}
	})
}

// bpa:credentialsRotation's mongoUser label reaches the user's password, and
// only it.
func TestRotationLabelIsTheKeeperOfTheUserPassword(t *testing.T) {
	t.Parallel()
	rec, err := run(t, stacktest.Live, func(cfg map[string]string) { cfg["bpa:credentialsRotation"] = `{"mongoUser":"2027-06"}` })
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"mongo-user-password": "2027-06", "postgres-kong-password": stacktest.Unrotated} {
		pw := stacktest.Must(t, rec, "random:index/randomPassword:RandomPassword", name)
		if got := stacktest.Input(pw, "keepers."+password.RotationKeeper); got != want {
			t.Errorf("%s keeper %v, want %s", name, got, want)
		}
	}
}

func TestUserRolesFollowTheConfiguredDatabases(t *testing.T) {
	t.Parallel()
	rec, err := run(t, stacktest.Lab, func(cfg map[string]string) {
		cfg["bpa:atlasDatabases"] = `["bpa","bpa-audit"]`
	})
	if err != nil {
		t.Fatal(err)
	}
	var dbs []string
	for _, r := range stacktest.Input(stacktest.Must(t, rec, userType, "mongo-user"), "roles").([]any) {
		if harness.Dig(r, "roleName") != "readWrite" {
			t.Errorf("role %v", r)
		}
		dbs = append(dbs, harness.Dig(r, "databaseName").(string))
	}
	if !slices.Equal(dbs, []string{"bpa", "bpa-audit"}) {
		t.Errorf("roles on %v", dbs)
	}
}

// The private connection string is empty when read before the endpoint
// is linked; its reader must wait for the endpoint service.
func TestConnectionStringIsReadAfterTheEndpointIsLinked(t *testing.T) {
	t.Parallel()
	stacktest.ForEachResolvedStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		v := stacktest.Must(t, rec, secretVersion, "mongo-user")
		link := stacktest.Must(t, rec, endpointLink, "mongo-endpoint-service")
		if !dependsOnProperty(v, "secretString", link) || !rec.DependsOn(v, link) {
			t.Errorf("user secret does not wait for the endpoint service: %v", v.PropertyDependencies["secretString"])
		}
		if !dependsOnProperty(v, "secretString", stacktest.Must(t, rec, clusterType, "mongo-cluster")) {
			t.Error("user secret does not read the cluster")
		}
	})
}

func TestSecretHoldsThePrivateSrvStringOfThisEndpoint(t *testing.T) {
	t.Parallel()
	rec := stacktest.Resolved(t, stacktest.Live)
	user := stacktest.NamePrefix(t, stacktest.Live) + "-bpa"
	if !slices.Contains(rec.Invokes, lookupToken) {
		t.Fatal("the cluster's connection strings were never looked up")
	}
	v := stacktest.Must(t, rec, secretVersion, "mongo-user")
	raw := v.Inputs["secretString"]
	if !isSecret(raw) {
		t.Fatal("secret string is not a Pulumi secret")
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(reveal(t, raw)), &got); err != nil {
		t.Fatal(err)
	}
	if got["connectionString"] != "mongodb+srv://"+user+"-pl-0.abcde.mongodb.net" {
		t.Errorf("connection string %q is not this endpoint's private SRV string", got["connectionString"])
	}
	if got["username"] != user || got["authSource"] != "admin" || got["password"] != "mock-generated-password-mongo-user-password" {
		t.Errorf("secret fields: username %q authSource %q, password set %v", got["username"], got["authSource"], got["password"] != "")
	}
}

func TestUserSecretIsEncryptedWithItsOwnRotatingKey(t *testing.T) {
	t.Parallel()
	stacktest.ForEachResolvedStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		s := stacktest.Must(t, rec, "aws:secretsmanager/secret:Secret", "mongo-user")
		key := stacktest.Must(t, rec, "aws:kms/key:Key", "mongo-secrets-key")
		if !dependsOnProperty(s, "kmsKeyId", key) || stacktest.Input(key, "enableKeyRotation") != true {
			t.Error("user secret is not encrypted with the rotating mongo key")
		}
		if want := stacktest.NamePrefix(t, stack) + "/mongodb/bpa"; stacktest.Input(s, "name") != want {
			t.Errorf("secret name %v, want %s", stacktest.Input(s, "name"), want)
		}
		recovery := stacktest.RecoveryWindow(t, stack)
		if stacktest.Input(s, "recoveryWindowInDays") != recovery {
			t.Errorf("recovery window %v, want %v", stacktest.Input(s, "recoveryWindowInDays"), recovery)
		}
		v := stacktest.Must(t, rec, secretVersion, "mongo-user")
		if !dependsOnProperty(v, "secretId", s) {
			t.Error("secret version is not stored in the user secret")
		}
	})
}

func TestNoSecretInPlainText(t *testing.T) {
	t.Parallel()
	for _, stack := range stacktest.Stacks(t) {
		rec := stacktest.Resolved(t, stack)
		for _, r := range rec.Resources {
			if !strings.HasPrefix(r.Name, "mongo") {
				continue
			}
			b, err := json.Marshal(r.Plain())
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), "mock-generated-password") || strings.Contains(string(b), harness.SecretPlaceholder) {
				t.Errorf("%s %s shows a secret in plain text: %s", r.Type, r.Name, b)
			}
		}
		for typ, prop := range map[string]string{userType: "password", secretVersion: "secretString"} {
			r := stacktest.Must(t, rec, typ, "mongo-user")
			if !isSecret(r.Inputs[resource.PropertyKey(prop)]) {
				t.Errorf("%s.%s is not a secret", r.Name, prop)
			}
		}
	}
}

func TestEndpointUsesTheStackAccountUnlessARoleIsConfigured(t *testing.T) {
	t.Parallel()
	rec := stacktest.Resolved(t, stacktest.Live)
	stackProvider := stacktest.Must(t, rec, awsProvider, "aws")
	for _, r := range rec.Resources {
		if strings.HasPrefix(r.Name, "mongo-") && strings.HasPrefix(r.Type, "aws:") && r.Provider != stackProvider.URN {
			t.Errorf("%s %s uses %q, not the stack's provider", r.Type, r.Name, r.Provider)
		}
	}
	if rec.Find(awsProvider, "mongo-endpoint-account") != nil {
		t.Error("endpoint provider created without a role")
	}
}

func TestEndpointIsCreatedThroughTheAssumedRoleWhenConfigured(t *testing.T) {
	t.Parallel()
	rec, err := run(t, stacktest.Live, func(cfg map[string]string) {
		cfg["bpa:atlasEndpointAssumeRoleArn"] = assumeRoleArn
	})
	if err != nil {
		t.Fatal(err)
	}
	p := stacktest.Must(t, rec, awsProvider, "mongo-endpoint-account")
	for path, want := range map[string]any{
		"assumeRole.roleArn":          assumeRoleArn,
		"region":                      stacktest.Setting(t, stacktest.Live, "bpa:region"),
		"defaultTags.tags.customer":   stacktest.Setting(t, stacktest.Live, "bpa:customer"),
		"defaultTags.tags.managed-by": "pulumi",
	} {
		if got := stacktest.Input(p, path); got != want {
			t.Errorf("endpoint provider %s = %v, want %v", path, got, want)
		}
	}
	stackProvider := stacktest.Must(t, rec, awsProvider, "aws")
	endpointSide := map[string]bool{"mongo-endpoint": true, "mongo-endpoint-from-pods": true, "mongo-endpoint-from-nodes": true}
	n := 0
	for _, r := range rec.Resources {
		if !strings.HasPrefix(r.Type, "aws:") || !strings.HasPrefix(r.Name, "mongo-") {
			continue
		}
		want := stackProvider.URN
		if endpointSide[r.Name] {
			want = p.URN
			n++
		}
		if r.Provider != want {
			t.Errorf("%s %s uses %q, want %q", r.Type, r.Name, r.Provider, want)
		}
	}
	if n < 3 { // security group, its pod rule, the VPC endpoint
		t.Errorf("only %d resources go through the endpoint account", n)
	}
}

// Atlas must not wait for RDS (nor RDS for Atlas): they are built side by side.
func TestDoesNotWaitForPostgres(t *testing.T) {
	t.Parallel()
	stacktest.ForEachResolvedStack(t, func(t *testing.T, _ string, rec *harness.Recording) {
		for _, r := range rec.Resources {
			for _, o := range rec.Resources {
				mongo, pg := strings.HasPrefix(r.Name, "mongo"), strings.HasPrefix(o.Name, "postgres")
				if mongo && pg && (rec.DependsOn(r, o) || rec.DependsOn(o, r)) {
					t.Errorf("%s and %s wait for each other", r.Name, o.Name)
				}
			}
		}
	})
}

func TestOutputsTheUserAuthSourceAndASecretPassword(t *testing.T) {
	t.Parallel()
	var (
		mu sync.Mutex
		m  *mongo.Mongo
	)
	_, err := harness.Run(func(ctx *pulumi.Context) error {
		c, err := mongo.New(ctx, "mongo", unitArgs())
		mu.Lock()
		m = c
		mu.Unlock()
		return err
	}, harness.Options{Stack: "unit", Config: map[string]string{}, Resolve: true})
	if err != nil {
		t.Fatal(err)
	}
	await := func(o pulumi.Output) internals.UnsafeAwaitOutputResult {
		t.Helper()
		r, err := internals.UnsafeAwaitOutput(context.Background(), o)
		if err != nil || !r.Known {
			t.Fatalf("output not known: %v", err)
		}
		return r
	}
	if got := await(m.AuthSource); got.Value != "admin" {
		t.Errorf("AuthSource %v, want admin (the SCRAM user's auth database)", got.Value)
	}
	if got := await(m.Username); got.Value != "unit-test-bpa" {
		t.Errorf("Username %v", got.Value)
	}
	pw := await(m.Password)
	if !pw.Secret || pw.Value != "mock-generated-password-mongo-user-password" {
		t.Errorf("Password: secret %v, the generated one %v", pw.Secret, pw.Value == "mock-generated-password-mongo-user-password")
	}
	if cs := await(m.ConnectionString); !cs.Secret || cs.Value != "mongodb+srv://unit-test-bpa-pl-0.abcde.mongodb.net" {
		t.Errorf("ConnectionString: secret %v", cs.Secret)
	}
}

// The component's own checks, which config.Load's stricter ones shadow in
// the program: every problem at once, nothing registered.
func TestComponentArgsAreCheckedBeforeAnythingIsRegistered(t *testing.T) {
	t.Parallel()
	type change = stacktest.Refusal[*mongo.Args]
	// Build names the component and says why in every refusal.
	invalid := func(says ...string) []string { return append([]string{"mongo mongo: invalid args"}, says...) }
	stacktest.ExpectRefused(t, unitArgs, runUnit, map[string]change{
		"nil args":                     {Says: invalid("args are required")},
		"org and project":              {Change: func(a *mongo.Args) { a.ProjectID = "65a1b2c3d4e5f60718293a4b" }, Says: invalid("exactly one of OrgID and ProjectID")},
		"no databases":                 {Change: func(a *mongo.Args) { a.Databases = nil }, Says: invalid("Databases is empty")},
		"one api key":                  {Change: func(a *mongo.Args) { a.AtlasPublicKey = pulumi.String("k") }, Says: invalid("AtlasPublicKey and AtlasPrivateKey are set together")},
		"role without tags":            {Change: func(a *mongo.Args) { a.EndpointAssumeRoleArn = assumeRoleArn; a.Tags = nil }, Says: invalid("EndpointAssumeRoleArn needs Tags")},
		"no network":                   {Change: func(a *mongo.Args) { a.VpcId, a.DataSubnetIds, a.PodCidr = nil, nil, nil }, Says: invalid("VpcId is required", "DataSubnetIds is required", "PodCidr is required")},
		"no size, version or rotation": {Change: func(a *mongo.Args) { a.InstanceSize, a.Version, a.PasswordRotation = "", "", "" }, Says: invalid("InstanceSize is required", "Version is required", "PasswordRotation is required")},
	})
}

// Logical names are part of each resource's URN: renaming one replaces it.
func TestLogicalNamesAreStable(t *testing.T) {
	t.Parallel()
	stacktest.ExpectLogicalNames(t, stacktest.Resolved(t, stacktest.Live), "mongo", func(n string) bool { return strings.HasPrefix(n, "mongo") }, names)
}

// atlasRegion is a stack's bpa:region in Atlas's format ("us-west-2" is
// US_WEST_2).
func atlasRegion(t *testing.T, stack string) string {
	t.Helper()
	return strings.ToUpper(strings.ReplaceAll(stacktest.Setting(t, stack, "bpa:region"), "-", "_"))
}

// unitArgs are valid arguments for running the component on its own.
func unitArgs() *mongo.Args {
	return &mongo.Args{
		Stack:         stacktest.UnitStack(),
		VpcId:         pulumi.String("vpc-0test"),
		DataSubnetIds: pulumi.ToStringArray([]string{"subnet-a", "subnet-b", "subnet-c"}),
		PodCidr:       pulumi.String("100.64.0.0/16"),
		Settings: mongo.Settings{
			OrgID:            "0123456789abcdef01234567",
			InstanceSize:     "M10",
			Version:          "8.0",
			Databases:        []string{"bpa"},
			PasswordRotation: "initial",
		},
	}
}

func runUnit(args *mongo.Args) (*harness.Recording, error) {
	return harness.Run(func(ctx *pulumi.Context) error {
		_, err := mongo.New(ctx, "mongo", args)
		return err
	}, harness.Options{Stack: "unit", Config: map[string]string{}, Resolve: true})
}

// run runs a stack, resolved (see the stack checks above), after
// changing its configuration.
func run(t *testing.T, stack string, change func(cfg map[string]string)) (*harness.Recording, error) {
	t.Helper()
	opts := stacktest.Options(t, stack)
	opts.Resolve = true
	change(opts.Config)
	return harness.Run(bpa.Program, opts)
}

func equalPlain(a, b any) bool {
	x, errA := json.Marshal(a)
	y, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(x) == string(y)
}
