package workload_test

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/internal/cloudfake"
	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
	"github.com/bpa-infra/bpa-infra/workload"
)

const (
	secretType    = "kubernetes:core/v1:Secret"
	releaseType   = "kubernetes:helm.sh/v3:Release"
	namespaceType = "kubernetes:core/v1:Namespace"
	rootPassword  = "root-password-must-stay-secret"
	kongPassword  = "kong-password-must-stay-secret"
	camundaPass   = "camunda-password-must-stay-secret"
	mongoPassword = "mongo-password-must-stay-secret"
	mongoSrv      = "mongodb+srv://acme-prod-bpa-pl-0.abcde.mongodb.net"
	tlsKey        = "-----BEGIN PRIVATE KEY-----must-stay-secret"
)

// mongoURI is what workload.MongoURI builds from the stand-ins below.
const mongoURI = "mongodb+srv://acme-prod-bpa:" + mongoPassword + "@acme-prod-bpa-pl-0.abcde.mongodb.net/?authSource=admin&retryWrites=true&w=majority"

// secretNames are the Kubernetes secrets the chart reads, each with the
// logical name it is registered under.
var secretNames = map[string]string{
	workload.TLSSecretName:     "bpa-certificate-ingress",
	workload.RootSecretName:    "bpa-root-db",
	workload.KongSecretName:    "bpa-kong-db",
	workload.CamundaSecretName: "bpa-camunda-db",
	workload.MongoSecretName:   "bpa-mongo",
}

type ready struct{ pulumi.CustomResourceState }

func secretString(s string) pulumi.StringOutput {
	return pulumi.ToSecret(pulumi.String(s)).(pulumi.StringOutput)
}

// install runs the workload alone, fed with stand-ins for the other
// components' outputs, so every wired value is known and checkable.
func install(t *testing.T, change func(*workload.Args)) (*harness.Recording, error) {
	t.Helper()
	return harness.Run(func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: secretString("{}")})
		if err != nil {
			return err
		}
		var waits []pulumi.Resource
		for _, name := range []string{"node-group-1", "postgres-roles", "privatelink-link"} {
			r := &ready{}
			if err := ctx.RegisterResource("test:index:Ready", name, pulumi.Map{}, r); err != nil {
				return err
			}
			waits = append(waits, r)
		}
		args := &workload.Args{
			KubeProvider: k8s,
			Settings: workload.Settings{
				Namespace: "bpa-ns", ReleaseName: "bpa-rel",
				Chart: "oci://registry.example/bpa-helm-chart", ChartVersion: "4.0.3-6",
				TimeoutSeconds: 1800, InstallRelease: true, PostRenderer: "bpa-postrender",
				ValuePaths: workload.DefaultValuePaths,
				Values:     map[string]any{"ingress_controller": map[string]any{"replicas": 2.0}, "ui": map[string]any{"theme": "dark"}},
			},
			TLSCertificate: secretString("-----BEGIN CERTIFICATE-----"),
			TLSKey:         secretString(tlsKey),
			ImageRegistry:  pulumi.String("123456789012.dkr.ecr.us-west-2.amazonaws.com/acme-prod"),
			Postgres: workload.Postgres{
				Host: pulumi.String("acme-prod.rds.example"), Port: pulumi.Int(5432), SSLMode: "require",
				Root:    workload.Database{Name: "admin", User: "admin", Password: secretString(rootPassword)},
				Kong:    workload.Database{Name: "kong", User: "kong", Password: secretString(kongPassword)},
				Camunda: workload.Database{Name: "process-engine", User: "camunda", Password: secretString(camundaPass)},
			},
			Mongo: workload.Mongo{
				Username:   pulumi.String("acme-prod-bpa"),
				Password:   secretString(mongoPassword),
				AuthSource: pulumi.String("admin"),
				SrvAddress: secretString(mongoSrv),
			},
			WaitFor: waits,
		}
		if change != nil {
			change(args)
		}
		_, err = workload.New(ctx, "bpa", args)
		return err
	}, harness.Options{Stack: "test"})
}

func installed(t *testing.T) *harness.Recording {
	t.Helper()
	rec, err := install(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestSecretsHaveTheTypesAndKeysTheChartReads(t *testing.T) {
	t.Parallel()
	rec := installed(t)
	dbKeys := []string{"database", "host", "password", "port", "sslmode", "username"}
	want := map[string]struct {
		kind string
		keys []string
	}{
		workload.TLSSecretName:     {"kubernetes.io/tls", []string{"tls.crt", "tls.key"}},
		workload.RootSecretName:    {"Opaque", dbKeys},
		workload.KongSecretName:    {"Opaque", dbKeys},
		workload.CamundaSecretName: {"Opaque", dbKeys},
		workload.MongoSecretName:   {"Opaque", []string{"authSource", "connectionString", "password", "srvAddress", "username"}},
	}
	if n := len(rec.OfType(secretType)); n != len(want) {
		t.Errorf("%d secrets, want %d", n, len(want))
	}
	for name, w := range want {
		s := stacktest.Must(t, rec, secretType, secretNames[name])
		if stacktest.Input(s, "metadata.name") != name || stacktest.Input(s, "metadata.namespace") != "bpa-ns" {
			t.Errorf("secret %s is named %v in %v", name, stacktest.Input(s, "metadata.name"), stacktest.Input(s, "metadata.namespace"))
		}
		if stacktest.Input(s, "type") != w.kind {
			t.Errorf("secret %s type %v, want %s", name, stacktest.Input(s, "type"), w.kind)
		}
		data, _ := s.Revealed()["stringData"].(map[string]any)
		if keys := harness.SortedKeys(data); !slices.Equal(keys, w.keys) {
			t.Errorf("secret %s keys %v, want %v", name, keys, w.keys)
		}
	}
	for name, login := range map[string][3]string{
		"bpa-root-db":    {"admin", "admin", rootPassword},
		"bpa-kong-db":    {"kong", "kong", kongPassword},
		"bpa-camunda-db": {"process-engine", "camunda", camundaPass},
	} {
		got := stacktest.Must(t, rec, secretType, name).Revealed()
		for key, w := range map[string]string{
			"host": "acme-prod.rds.example", "port": "5432", "sslmode": "require",
			"database": login[0], "username": login[1], "password": login[2],
		} {
			if harness.Dig(got, "stringData."+key) != w {
				t.Errorf("%s %s is not %q", name, key, w)
			}
		}
	}
	mongo := stacktest.Must(t, rec, secretType, "bpa-mongo").Revealed()
	for key, w := range map[string]string{
		"username": "acme-prod-bpa", "password": mongoPassword, "authSource": "admin",
		"srvAddress": mongoSrv, "connectionString": mongoURI,
	} {
		if harness.Dig(mongo, "stringData."+key) != w {
			t.Errorf("bpa-mongo %s is not what the chart needs", key)
		}
	}
}

func TestNoCredentialAppearsInPlainText(t *testing.T) {
	t.Parallel()
	rec := installed(t)
	for _, r := range rec.Resources {
		plain, _ := json.Marshal(r.Plain())
		for _, secret := range []string{rootPassword, kongPassword, camundaPass, mongoPassword, mongoSrv, tlsKey} {
			if strings.Contains(string(plain), secret) {
				t.Errorf("%s %s shows a credential in plain text", r.Type, r.Name)
			}
		}
	}
	// The Kubernetes secrets hold them, as Pulumi secrets.
	for name, logical := range secretNames {
		data := stacktest.Must(t, rec, secretType, logical).Inputs["stringData"]
		if !data.ContainsSecrets() {
			t.Errorf("%s data is not a secret", name)
		}
	}
	// Each credential is hidden in a preview, by itself or with its secret.
	hidden := func(r *harness.Resource, key string) bool {
		return stacktest.Input(r, "stringData") == harness.SecretMarker || stacktest.Input(r, "stringData."+key) == harness.SecretMarker
	}
	for name, keys := range map[string][]string{
		"bpa-mongo": {"password", "srvAddress", "connectionString"}, "bpa-certificate-ingress": {"tls.key"},
		"bpa-root-db": {"password"}, "bpa-kong-db": {"password"}, "bpa-camunda-db": {"password"},
	} {
		for _, key := range keys {
			if !hidden(stacktest.Must(t, rec, secretType, name), key) {
				t.Errorf("%s %s is shown in a preview", name, key)
			}
		}
	}
}

func values(t *testing.T, rec *harness.Recording) *harness.Resource {
	t.Helper()
	return stacktest.Must(t, rec, releaseType, "bpa-release")
}

func TestReleaseValuesAreTheFactsAtTheirDefaultPaths(t *testing.T) {
	t.Parallel()
	rel := values(t, installed(t))
	v, _ := rel.Revealed()["values"].(map[string]any)
	want := map[string]any{
		"ingress_controller.create":   true,
		"ingress_controller.replicas": 2.0, // from stack values
		"ui.theme":                    "dark",
		"global.imageRegistry":        "123456789012.dkr.ecr.us-west-2.amazonaws.com/acme-prod",
		"PG_HOST":                     "acme-prod.rds.example",
		"PG_PORT":                     5432.0,
		"PG_SSLMODE":                  "require",
		"PG_ROOT_DATABASE":            "admin",
		"PG_INITDB_ROOT_USERNAME":     "admin",
		"PG_INITDB_ROOT_PASSWORD":     rootPassword,
		"AUTH_DB_NAME":                "kong",
		"AUTH_DB_USER":                "kong",
		"AUTH_DB_PASSWORD":            kongPassword,
		"WFE_DB_NAME":                 "process-engine",
		"WFE_DB_USER":                 "camunda",
		"WFE_DB_PASSWORD":             camundaPass,
		"MONGODB_URI":                 mongoURI,
	}
	for path, w := range want {
		if got := harness.Dig(v, path); got != w {
			if strings.Contains(path, "PASSWORD") || path == "MONGODB_URI" {
				got = "(redacted)"
			}
			t.Errorf("values.%s = %v, want %v", path, got, w)
		}
	}
	// Nothing else: the fixed layout (postgres.*, mongodb.*) and the node
	// pinning (global.nodeSelector) are gone.
	wantTop := []string{"AUTH_DB_NAME", "AUTH_DB_PASSWORD", "AUTH_DB_USER", "MONGODB_URI", "PG_HOST", "PG_INITDB_ROOT_PASSWORD",
		"PG_INITDB_ROOT_USERNAME", "PG_PORT", "PG_ROOT_DATABASE", "PG_SSLMODE", "WFE_DB_NAME", "WFE_DB_PASSWORD", "WFE_DB_USER",
		"global", "ingress_controller", "ui"}
	if got := harness.SortedKeys(v); !slices.Equal(got, wantTop) {
		t.Errorf("top-level values %v, want %v", got, wantTop)
	}
	if got := harness.SortedKeys(harness.Dig(v, "global").(map[string]any)); !slices.Equal(got, []string{"imageRegistry"}) {
		t.Errorf("global values %v, want imageRegistry only", got)
	}
	if got := harness.SortedKeys(harness.Dig(v, "ingress_controller").(map[string]any)); !slices.Equal(got, []string{"create", "replicas"}) {
		t.Errorf("ingress_controller values %v", got)
	}
}

func TestSecretFactsAreSecretInTheReleaseValues(t *testing.T) {
	t.Parallel()
	rel := values(t, installed(t))
	for _, f := range workload.SecretFacts {
		path := workload.DefaultValuePaths[f]
		if got := stacktest.Input(rel, "values."+path); got != harness.SecretMarker {
			t.Errorf("values.%s (%s) is shown as %v", path, f, got)
		}
	}
	for _, path := range []string{"PG_INITDB_ROOT_PASSWORD", "AUTH_DB_PASSWORD", "WFE_DB_PASSWORD", "MONGODB_URI"} {
		if !slices.ContainsFunc(workload.SecretFacts, func(f workload.Fact) bool { return workload.DefaultValuePaths[f] == path }) {
			t.Errorf("%s is not a secret fact", path)
		}
	}
	// Everything else is plain, readable in a preview.
	for _, path := range []string{"PG_HOST", "PG_ROOT_DATABASE", "AUTH_DB_USER", "global.imageRegistry"} {
		if got := stacktest.Input(rel, "values."+path); got == harness.SecretMarker {
			t.Errorf("values.%s is needlessly secret", path)
		}
	}
}

// The component makes credentials secret itself, even when a caller hands
// them over as plain strings.
func TestCredentialsAreSecretEvenWhenGivenInPlainText(t *testing.T) {
	t.Parallel()
	rec, err := install(t, func(a *workload.Args) {
		a.Postgres.Root.Password = pulumi.String(rootPassword)
		a.Postgres.Kong.Password = pulumi.String(kongPassword)
		a.Postgres.Camunda.Password = pulumi.String(camundaPass)
		a.Mongo.Password = pulumi.String(mongoPassword)
		a.Mongo.SrvAddress = pulumi.String(mongoSrv)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rec.Resources {
		plain, _ := json.Marshal(r.Plain())
		for _, secret := range []string{rootPassword, kongPassword, camundaPass, mongoPassword, mongoSrv} {
			if strings.Contains(string(plain), secret) {
				t.Errorf("%s %s shows a credential in plain text", r.Type, r.Name)
			}
		}
	}
	rel := values(t, rec)
	for _, f := range workload.SecretFacts {
		if got := stacktest.Input(rel, "values."+workload.DefaultValuePaths[f]); got != harness.SecretMarker {
			t.Errorf("values.%s is shown as %v", workload.DefaultValuePaths[f], got)
		}
	}
}

func TestReleaseValuesFollowTheConfiguredPaths(t *testing.T) {
	t.Parallel()
	paths, err := workload.ValuePaths(map[string]string{
		"postgresHost":    "database.postgres.host",
		"postgresPort":    "database.postgres.port",
		"mongoUri":        "", // not wired
		"imageRegistry":   "",
		"postgresSslMode": "PGSSLMODE",
	})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := install(t, func(a *workload.Args) { a.ValuePaths = paths; a.Values = nil })
	if err != nil {
		t.Fatal(err)
	}
	v, _ := values(t, rec).Revealed()["values"].(map[string]any)
	for path, w := range map[string]any{
		"database.postgres.host": "acme-prod.rds.example", "database.postgres.port": 5432.0, "PGSSLMODE": "require",
		"PG_ROOT_DATABASE": "admin", "ingress_controller.create": true,
	} {
		if got := harness.Dig(v, path); got != w {
			t.Errorf("values.%s = %v, want %v", path, got, w)
		}
	}
	for _, gone := range []string{"PG_HOST", "PG_PORT", "PG_SSLMODE", "MONGODB_URI", "global"} {
		if _, ok := v[gone]; ok {
			t.Errorf("values.%s is set though its fact moved or is unwired", gone)
		}
	}
	// An unwired fact still reaches the chart's secrets.
	if harness.Dig(stacktest.Must(t, rec, secretType, "bpa-mongo").Revealed(), "stringData.connectionString") != mongoURI {
		t.Error("bpa-mongo lost its connection string with MONGODB_URI unwired")
	}
}

func TestReleaseIsAtomicPinnedAndWaitsOnlyForWhatItNeeds(t *testing.T) {
	t.Parallel()
	rec := installed(t)
	if n := len(rec.OfType(releaseType)); n != 1 {
		t.Fatalf("%d releases, want 1", n)
	}
	rel := values(t, rec)
	checks := map[string]any{
		"name": "bpa-rel", "namespace": "bpa-ns", "chart": "oci://registry.example/bpa-helm-chart",
		"version": "4.0.3-6", "atomic": true, "cleanupOnFail": true, "timeout": 1800.0, "maxHistory": 10.0,
		"createNamespace": false, "postrender": "bpa-postrender",
	}
	for path, want := range checks {
		if got := stacktest.Input(rel, path); got != want {
			t.Errorf("release %s = %v, want %v", path, got, want)
		}
	}
	var deps []string
	for _, d := range rel.Dependencies {
		deps = append(deps, rec.ByURN(d).Name)
	}
	sort.Strings(deps)
	want := []string{"bpa-camunda-db", "bpa-certificate-ingress", "bpa-kong-db", "bpa-mongo",
		"bpa-namespace", "bpa-root-db", "node-group-1", "postgres-roles", "privatelink-link"}
	if !slices.Equal(deps, want) {
		t.Errorf("release waits for %v, want exactly %v", deps, want)
	}
	provider := stacktest.Must(t, rec, "pulumi:providers:kubernetes", "k8s")
	for _, r := range rec.Resources {
		if strings.HasPrefix(r.Type, "kubernetes:") && r.Provider != provider.URN {
			t.Errorf("%s %s does not use the cluster's provider", r.Type, r.Name)
		}
	}
}

func TestReleaseWithoutPostRendererOrRepository(t *testing.T) {
	t.Parallel()
	rec, err := install(t, func(a *workload.Args) {
		a.PostRenderer = ""
		a.Chart, a.ChartVersion, a.ChartRepository = "bpa", "4.0.3-6", "https://charts.example"
	})
	if err != nil {
		t.Fatal(err)
	}
	rel := values(t, rec)
	if got := stacktest.Input(rel, "postrender"); got != nil {
		t.Errorf("postrender %v with no post-renderer", got)
	}
	if stacktest.Input(rel, "chart") != "bpa" || stacktest.Input(rel, "repositoryOpts.repo") != "https://charts.example" {
		t.Errorf("chart %v from %v", stacktest.Input(rel, "chart"), stacktest.Input(rel, "repositoryOpts"))
	}
}

// The chart location may be an output (the stack's own ECR repository).
// Without a chart of its own the release takes DefaultChart, the stack's
// ECR repository, and waits for what it comes from.
func TestChartLocationMayComeFromAnotherResource(t *testing.T) {
	t.Parallel()
	rec, err := harness.Run(func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: secretString("{}")})
		if err != nil {
			return err
		}
		repo := &ready{}
		if err := ctx.RegisterResource("test:index:Ready", "chart-repository", pulumi.Map{}, repo); err != nil {
			return err
		}
		location := pulumi.Sprintf("oci://%s/bpa-helm-chart", repo.ID())
		_, err = workload.New(ctx, "bpa", &workload.Args{
			KubeProvider: k8s, DefaultChart: location,
			Settings: workload.Settings{
				Namespace: "bpa-ns", ReleaseName: "bpa-rel", InstallRelease: true, ChartVersion: "4.0.3-6", TimeoutSeconds: 600,
				ValuePaths: workload.DefaultValuePaths,
			},
			TLSCertificate: secretString("c"), TLSKey: secretString("k"), ImageRegistry: pulumi.String("r"),
			Postgres: workload.Postgres{Host: pulumi.String("h"), Port: pulumi.Int(5432), SSLMode: "require",
				Root:    workload.Database{Name: "admin", User: "admin", Password: secretString("a")},
				Kong:    workload.Database{Name: "kong", User: "kong", Password: secretString("b")},
				Camunda: workload.Database{Name: "process-engine", User: "camunda", Password: secretString("c")}},
			Mongo: workload.Mongo{Username: pulumi.String("u"), Password: secretString("p"), AuthSource: pulumi.String("admin"),
				SrvAddress: secretString(mongoSrv)},
		})
		return err
	}, harness.Options{Stack: "test", Resolve: true})
	if err != nil {
		t.Fatal(err)
	}
	rel := values(t, rec)
	repo := stacktest.Must(t, rec, "test:index:Ready", "chart-repository")
	if !slices.Contains(rel.PropertyDependencies["chart"], repo.URN) {
		t.Errorf("release chart comes from %v, want the repository", rel.PropertyDependencies["chart"])
	}
	if got := stacktest.Input(rel, "chart"); got != "oci://chart-repository-id/bpa-helm-chart" {
		t.Errorf("release chart %v", got)
	}
}

// The first phase of a first deployment: the namespace and the secrets,
// before the images and the chart are in the new registry.
func TestWithoutInstallReleaseOnlyTheNamespaceAndSecretsExist(t *testing.T) {
	t.Parallel()
	rec, err := install(t, func(a *workload.Args) { a.InstallRelease = false })
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rec.OfType(releaseType)); n != 0 {
		t.Errorf("%d helm releases with InstallRelease false", n)
	}
	ns := stacktest.Must(t, rec, namespaceType, "bpa-namespace")
	if stacktest.Input(ns, "metadata.name") != "bpa-ns" {
		t.Errorf("namespace %v", stacktest.Input(ns, "metadata.name"))
	}
	for name, logical := range secretNames {
		s := stacktest.Must(t, rec, secretType, logical)
		if !slices.Contains(s.Dependencies, ns.URN) {
			t.Errorf("secret %s does not wait for its namespace", name)
		}
	}
	var kinds []string
	for _, r := range rec.Resources {
		if strings.HasPrefix(r.Type, "kubernetes:") {
			kinds = append(kinds, r.Type)
		}
	}
	if len(kinds) != 1+len(secretNames) {
		t.Errorf("Kubernetes resources %v, want the namespace and %d secrets", kinds, len(secretNames))
	}
}

func TestBadArgsRegisterNothing(t *testing.T) {
	t.Parallel()
	cases := map[string]func(*workload.Args){
		"no chart":           func(a *workload.Args) { a.Chart, a.DefaultChart = "", nil },
		"no provider":        func(a *workload.Args) { a.KubeProvider = nil },
		"password in values": func(a *workload.Args) { a.Values = map[string]any{"dbPassword": "x"} },
		"nested password": func(a *workload.Args) {
			a.Values = map[string]any{"ingress_controller": map[string]any{"adminPassword": "x"}}
		},
		"no value paths":      func(a *workload.Args) { a.ValuePaths = nil },
		"no root password":    func(a *workload.Args) { a.Postgres.Root.Password = nil },
		"no mongo address":    func(a *workload.Args) { a.Mongo.SrvAddress = nil },
		"no mongo auth":       func(a *workload.Args) { a.Mongo.AuthSource = nil },
		"no timeout":          func(a *workload.Args) { a.TimeoutSeconds = 0 },
		"no namespace":        func(a *workload.Args) { a.Namespace = "" },
		"no tls key":          func(a *workload.Args) { a.TLSKey = nil },
		"no image registry":   func(a *workload.Args) { a.ImageRegistry = nil },
		"no postgres host":    func(a *workload.Args) { a.Postgres.Host = nil },
		"no mongo password":   func(a *workload.Args) { a.Mongo.Password = nil },
		"no camunda password": func(a *workload.Args) { a.Postgres.Camunda.Password = nil },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rec, err := install(t, change)
			if err == nil || !strings.Contains(err.Error(), "workload: invalid ") {
				t.Errorf("accepted: %v", err)
			}
			for _, r := range rec.Resources {
				if strings.HasPrefix(r.Type, "kubernetes:") || r.Type == workload.TypeToken {
					t.Errorf("%s registered", r.Name)
				}
			}
		})
	}
}

// stackObject is a stack's object setting ("bpa:helmValues").
func stackObject[V any](t *testing.T, stack, key string) map[string]V {
	t.Helper()
	var out map[string]V
	if err := json.Unmarshal([]byte(stacktest.Setting(t, stack, key)), &out); err != nil {
		t.Fatalf("stack %s: %s is not an object: %v", stack, key, err)
	}
	return out
}

// In the stacks every fact comes from the component that owns it, and the
// release waits for the logins, the PrivateLink registration and its secrets.
// The expectations come from each stack's settings as the CLI hands them to
// the program (stacktest.Setting), never from the stack's name.
func TestStacksWireTheComponentsFactsIntoTheRelease(t *testing.T) {
	t.Parallel()
	stacktest.ForEachResolvedStack(t, func(t *testing.T, stack string, rec *harness.Recording) {
		if !stacktest.SettingBool(t, stack, "bpa:installRelease") {
			if n := len(rec.OfType(releaseType)); n != 0 {
				t.Errorf("%d releases with bpa:installRelease false", n)
			}
			return
		}
		setting := func(key string) string { return stacktest.Setting(t, stack, key) }
		rel := values(t, rec)
		v, _ := rel.Revealed()["values"].(map[string]any)
		prefix := setting("bpa:customer") + "-" + setting("bpa:environment")
		// Each fact at its path: the README's chart values table, unless
		// bpa:chartValuePaths moves it ("" wires it nowhere).
		paths := stackObject[string](t, stack, "bpa:chartValuePaths")
		helmValues := stackObject[any](t, stack, "bpa:helmValues")
		for _, f := range []struct {
			fact, path string
			want       any
		}{
			// The host is the fake cloud's address of the stack's instance.
			{"postgresHost", "PG_HOST", prefix + "-postgres.cmockabcdefg." + cloudfake.Region + ".rds.amazonaws.com"},
			{"postgresPort", "PG_PORT", 5432.0},
			{"postgresSslMode", "PG_SSLMODE", "require"},
			{"rootDatabase", "PG_ROOT_DATABASE", setting("bpa:postgresRootDatabase")},
			{"rootUser", "PG_INITDB_ROOT_USERNAME", setting("bpa:postgresRootUser")},
			{"rootPassword", "PG_INITDB_ROOT_PASSWORD", harness.GeneratedPasswordPrefix + "postgres-root-password"},
			{"kongDatabase", "AUTH_DB_NAME", setting("bpa:postgresKongDatabase")},
			{"kongUser", "AUTH_DB_USER", setting("bpa:postgresKongUser")},
			{"kongPassword", "AUTH_DB_PASSWORD", harness.GeneratedPasswordPrefix + "postgres-kong-password"},
			{"camundaDatabase", "WFE_DB_NAME", setting("bpa:postgresCamundaDatabase")},
			{"camundaUser", "WFE_DB_USER", setting("bpa:postgresCamundaUser")},
			{"camundaPassword", "WFE_DB_PASSWORD", harness.GeneratedPasswordPrefix + "postgres-camunda-password"},
			{"mongoUri", "MONGODB_URI", "mongodb+srv://" + prefix + "-bpa:" + harness.GeneratedPasswordPrefix + "mongo-user-password@" +
				prefix + "-bpa-pl-0.abcde.mongodb.net/?authSource=admin&retryWrites=true&w=majority"},
			{"ingressControllerCreate", "ingress_controller.create", true},
			// The registry host of the stack's region, below its prefix.
			{"imageRegistry", "global.imageRegistry", harness.MockAccountID + ".dkr.ecr." + setting("bpa:region") + ".amazonaws.com/" + prefix},
		} {
			path, want := f.path, f.want
			if p, moved := paths[f.fact]; moved {
				path = p
			}
			if path == "" {
				continue
			}
			// bpa:helmValues are merged over the wired values (never over a
			// secret one, which the program refuses).
			if over := harness.Dig(helmValues, path); over != nil {
				want = over
			}
			if got := harness.Dig(v, path); got != want {
				if slices.Contains(workload.SecretFacts, workload.Fact(f.fact)) {
					got = "(redacted)"
				}
				t.Errorf("values.%s (%s) = %v, want %v", path, f.fact, got, want)
			}
		}
		if got, want := stacktest.Input(rel, "postrender"), setting("bpa:helmPostRenderer"); got != want && (want != "" || got != nil) {
			t.Errorf("postrender %v, want bpa:helmPostRenderer %q", got, want)
		}
		for _, w := range []struct{ typ, name string }{
			{"postgresql:index/role:Role", "postgres-root"},
			{"postgresql:index/database:Database", "postgres-root"},
			{"postgresql:index/grant:Grant", "postgres-root-no-public"},
			{"postgresql:index/role:Role", "postgres-kong"},
			{"postgresql:index/database:Database", "postgres-camunda"},
			{"mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService", "mongo-endpoint-service"},
			{secretType, "bpa-root-db"},
			{secretType, "bpa-mongo"},
		} {
			if !rec.DependsOn(rel, stacktest.Must(t, rec, w.typ, w.name)) {
				t.Errorf("release does not wait for %s", w.name)
			}
		}
		root := stacktest.Must(t, rec, secretType, "bpa-root-db").Revealed()
		if harness.Dig(root, "stringData.username") != setting("bpa:postgresRootUser") ||
			harness.Dig(root, "stringData.database") != setting("bpa:postgresRootDatabase") ||
			harness.Dig(root, "stringData.password") != harness.GeneratedPasswordPrefix+"postgres-root-password" {
			t.Error("bpa-root-db is not the root login")
		}
	})
}

func TestStackWithoutInstallReleaseHasNoRelease(t *testing.T) {
	t.Parallel()
	rec, err := stacktest.Run(t, stacktest.Lab, func(cfg map[string]string) { cfg["bpa:installRelease"] = "false" })
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rec.OfType(releaseType)); n != 0 {
		t.Errorf("%d releases with bpa:installRelease false", n)
	}
	for _, name := range secretNames {
		stacktest.Must(t, rec, secretType, name)
	}
}
