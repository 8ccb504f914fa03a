package workload_test

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
	"github.com/bpa-infra/bpa-infra/workload"
)

const (
	secretType   = "kubernetes:core/v1:Secret"
	releaseType  = "kubernetes:helm.sh/v3:Release"
	kongPassword = "kong-password-must-stay-secret"
	camundaPass  = "camunda-password-must-stay-secret"
	mongoURI     = "mongodb+srv://bpa:pw-must-stay-secret@pl-0.example.mongodb.net"
	tlsKey       = "-----BEGIN PRIVATE KEY-----must-stay-secret"
)

type ready struct{ pulumi.CustomResourceState }

// install runs the workload alone, fed with stand-ins for the other
// components' outputs, so every wired value is known and checkable.
func install(t *testing.T, change func(*workload.Args)) (*harness.Recording, error) {
	t.Helper()
	return harness.Run(func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.ToSecret(pulumi.String("{}")).(pulumi.StringOutput)})
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
			KubeProvider:   k8s,
			Namespace:      "bpa-ns",
			ReleaseName:    "bpa-rel",
			Chart:          workload.Chart{Location: "oci://registry.example/bpa-helm-chart", Version: "4.0.3-6"},
			TimeoutSecond:  1800,
			TLSCertificate: pulumi.ToSecret(pulumi.String("-----BEGIN CERTIFICATE-----")).(pulumi.StringOutput),
			TLSKey:         pulumi.ToSecret(pulumi.String(tlsKey)).(pulumi.StringOutput),
			ImageRegistry:  pulumi.String("123456789012.dkr.ecr.us-west-2.amazonaws.com/acme-prod"),
			Postgres: workload.Postgres{
				Host: pulumi.String("acme-prod.rds.example"), Port: pulumi.Int(5432), SSLMode: "require",
				Kong:    workload.Database{Name: "kong", User: "kong", Password: pulumi.ToSecret(pulumi.String(kongPassword)).(pulumi.StringOutput)},
				Camunda: workload.Database{Name: "process-engine", User: "camunda", Password: pulumi.ToSecret(pulumi.String(camundaPass)).(pulumi.StringOutput)},
			},
			MongoConnectionString: pulumi.ToSecret(pulumi.String(mongoURI)).(pulumi.StringOutput),
			NodeLabelKey:          "name",
			NodeNames:             []string{"node-1", "node-2", "node-3", "node-4"},
			ExtraValues:           map[string]any{"ingress_controller": map[string]any{"replicas": 2.0}, "ui": map[string]any{"theme": "dark"}},
			WaitFor:               waits,
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
	want := map[string]struct {
		kind string
		keys []string
	}{
		workload.TLSSecretName:     {"kubernetes.io/tls", []string{"tls.crt", "tls.key"}},
		workload.KongSecretName:    {"Opaque", []string{"database", "host", "password", "port", "sslmode", "username"}},
		workload.CamundaSecretName: {"Opaque", []string{"database", "host", "password", "port", "sslmode", "username"}},
		workload.MongoSecretName:   {"Opaque", []string{"connectionString"}},
	}
	for name, w := range want {
		s := rec.Find(secretType, "bpa-"+strings.TrimPrefix(name, "bpa-"))
		if s == nil {
			t.Fatalf("secret %s missing", name)
		}
		if stacktest.Input(s, "metadata.name") != name || stacktest.Input(s, "metadata.namespace") != "bpa-ns" {
			t.Errorf("secret %s is named %v in %v", name, stacktest.Input(s, "metadata.name"), stacktest.Input(s, "metadata.namespace"))
		}
		if stacktest.Input(s, "type") != w.kind {
			t.Errorf("secret %s type %v, want %s", name, stacktest.Input(s, "type"), w.kind)
		}
		data, _ := s.Revealed()["stringData"].(map[string]any)
		keys := harness.SortedKeys(data)
		if !slices.Equal(keys, w.keys) {
			t.Errorf("secret %s keys %v, want %v", name, keys, w.keys)
		}
	}
	kong := rec.Find(secretType, "bpa-kong-db")
	if got := harness.Dig(kong.Revealed(), "stringData.database"); got != "kong" {
		t.Errorf("kong secret database %v", got)
	}
	camunda := rec.Find(secretType, "bpa-camunda-db")
	if got := harness.Dig(camunda.Revealed(), "stringData.database"); got != "process-engine" {
		t.Errorf("camunda secret database %v", got)
	}
}

func TestNoCredentialAppearsInPlainText(t *testing.T) {
	t.Parallel()
	rec := installed(t)
	for _, r := range rec.Resources {
		plain, _ := json.Marshal(r.Plain())
		for _, secret := range []string{kongPassword, camundaPass, mongoURI, tlsKey} {
			if strings.Contains(string(plain), secret) {
				t.Errorf("%s %s shows a credential in plain text", r.Type, r.Name)
			}
		}
	}
	// The Kubernetes secrets hold them, as Pulumi secrets.
	for _, name := range []string{workload.KongSecretName, workload.CamundaSecretName, workload.MongoSecretName} {
		data := rec.Find(secretType, "bpa-"+strings.TrimPrefix(name, "bpa-")).Inputs["stringData"]
		if !data.ContainsSecrets() {
			t.Errorf("%s data is not a secret", name)
		}
	}
}

func values(t *testing.T, rec *harness.Recording) map[string]any {
	t.Helper()
	rel := rec.Find(releaseType, "bpa-release")
	if rel == nil {
		t.Fatal("no helm release")
	}
	v, _ := stacktest.Input(rel, "values").(map[string]any)
	return v
}

func TestReleaseValuesCarryEveryWiredConnectionFact(t *testing.T) {
	t.Parallel()
	v := values(t, installed(t))
	want := map[string]any{
		"ingress_controller.create":                  true,
		"ingress_controller.default_ssl_certificate": "bpa-ns/bpa-certificate-ingress",
		"ingress_controller.replicas":                2.0, // from stack values
		"ui.theme":                                   "dark",
		"global.imageRegistry":                       "123456789012.dkr.ecr.us-west-2.amazonaws.com/acme-prod",
		"global.nodeSelector.labelKey":               "name",
		"global.nodeSelector.nodes.3":                "node-4",
		"postgres.host":                              "acme-prod.rds.example",
		"postgres.port":                              5432.0,
		"postgres.sslmode":                           "require",
		"postgres.auth.database":                     "kong",
		"postgres.auth.user":                         "kong",
		"postgres.auth.passwordSecret.name":          workload.KongSecretName,
		"postgres.auth.passwordSecret.key":           "password",
		"postgres.workflow.database":                 "process-engine",
		"postgres.workflow.user":                     "camunda",
		"postgres.workflow.passwordSecret.name":      workload.CamundaSecretName,
		"mongodb.connectionStringSecret.name":        workload.MongoSecretName,
		"mongodb.connectionStringSecret.key":         "connectionString",
	}
	for path, w := range want {
		if got := harness.Dig(v, path); got != w {
			t.Errorf("values.%s = %v, want %v", path, got, w)
		}
	}
}

func TestReleaseIsAtomicPinnedAndWaitsOnlyForWhatItNeeds(t *testing.T) {
	t.Parallel()
	rec := installed(t)
	rel := rec.Find(releaseType, "bpa-release")
	checks := map[string]any{
		"name": "bpa-rel", "namespace": "bpa-ns", "chart": "oci://registry.example/bpa-helm-chart",
		"version": "4.0.3-6", "atomic": true, "timeout": 1800.0, "createNamespace": false,
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
		"bpa-namespace", "node-group-1", "postgres-roles", "privatelink-link"}
	if !slices.Equal(deps, want) {
		t.Errorf("release waits for %v, want exactly %v", deps, want)
	}
	provider := rec.Find("pulumi:providers:kubernetes", "k8s")
	for _, r := range rec.Resources {
		if strings.HasPrefix(r.Type, "kubernetes:") && r.Provider != provider.URN {
			t.Errorf("%s %s does not use the cluster's provider", r.Type, r.Name)
		}
	}
}

func TestBadArgsRegisterNothing(t *testing.T) {
	t.Parallel()
	cases := map[string]func(*workload.Args){
		"no chart":           func(a *workload.Args) { a.Chart.Location = "" },
		"no provider":        func(a *workload.Args) { a.KubeProvider = nil },
		"password in values": func(a *workload.Args) { a.ExtraValues = map[string]any{"dbPassword": "x"} },
	}
	for name, change := range cases {
		rec, err := install(t, change)
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
		for _, r := range rec.Resources {
			if strings.HasPrefix(r.Type, "kubernetes:") && r.Type != "pulumi:providers:kubernetes" {
				t.Errorf("%s: %s registered", name, r.Name)
			}
		}
	}
}
