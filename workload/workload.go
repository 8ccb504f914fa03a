package workload

import (
	"errors"
	"fmt"
	"strings"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TypeToken is the component's type in URNs.
const TypeToken = "bpa:workload:Bpa"

// Names the BPA chart and its ingress controller expect.
const (
	TLSSecretName     = "bpa-certificate-ingress"
	KongSecretName    = "bpa-kong-db"
	CamundaSecretName = "bpa-camunda-db"
	MongoSecretName   = "bpa-mongo"
)

// Chart says where the BPA chart comes from: a local path, a chart name in
// a repository, or an oci:// reference.
type Chart struct {
	Location   string
	Version    string
	Repository string
}

// Database is one PostgreSQL login the chart uses.
type Database struct {
	Name     string
	User     string
	Password pulumi.StringInput // secret
}

// Postgres is how BPA reaches RDS.
type Postgres struct {
	Host    pulumi.StringInput
	Port    pulumi.IntInput
	SSLMode string
	Kong    Database
	Camunda Database
}

// Args describe the BPA installation.
type Args struct {
	// KubeProvider is the cluster's provider; required, never the default one.
	KubeProvider  pulumi.ProviderResource
	Namespace     string
	ReleaseName   string
	Chart         Chart
	TimeoutSecond int
	// TLSCertificate and TLSKey are PEM text, secrets from stack config.
	TLSCertificate pulumi.StringInput
	TLSKey         pulumi.StringInput
	// ImageRegistry is where the chart pulls BPA images from.
	ImageRegistry pulumi.StringInput
	Postgres      Postgres
	// MongoConnectionString is Atlas's private-endpoint SRV string (secret).
	MongoConnectionString pulumi.StringInput
	// NodeLabelKey/NodeNames pin BPA's stateful pods (name=node-1..4).
	NodeLabelKey string
	NodeNames    []string
	// ExtraValues from stack config are merged over the wired values.
	ExtraValues map[string]any
	// WaitFor is what must be ready before the release installs.
	WaitFor []pulumi.Resource
}

// Bpa is the installed application.
type Bpa struct {
	pulumi.ResourceState

	Namespace     pulumi.StringOutput
	ReleaseStatus pulumi.StringOutput
	ReleaseName   pulumi.StringOutput
}

func (a *Args) validate() error {
	var errs []error
	if a.KubeProvider == nil {
		errs = append(errs, errors.New("KubeProvider is required: BPA must never land on an ambient kubeconfig"))
	}
	if a.Namespace == "" || a.ReleaseName == "" {
		errs = append(errs, errors.New("Namespace and ReleaseName are required"))
	}
	if a.Chart.Location == "" {
		errs = append(errs, errors.New("Chart.Location is required"))
	}
	if a.TimeoutSecond <= 0 {
		errs = append(errs, errors.New("TimeoutSecond must be positive"))
	}
	if a.TLSCertificate == nil || a.TLSKey == nil {
		errs = append(errs, errors.New("TLSCertificate and TLSKey are required"))
	}
	if a.ImageRegistry == nil || a.Postgres.Host == nil || a.Postgres.Port == nil ||
		a.Postgres.Kong.Password == nil || a.Postgres.Camunda.Password == nil || a.MongoConnectionString == nil {
		errs = append(errs, errors.New("ImageRegistry, the Postgres connection and passwords, and MongoConnectionString are required"))
	}
	if a.NodeLabelKey == "" || len(a.NodeNames) == 0 {
		errs = append(errs, errors.New("NodeLabelKey and NodeNames are required"))
	}
	return errors.Join(errs...)
}

// New installs BPA.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Bpa, error) {
	if args == nil {
		return nil, errors.New("workload: args are required")
	}
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("workload: invalid args: %w", err)
	}
	values, err := mergeValues(wiredValues(args), args.ExtraValues)
	if err != nil {
		return nil, fmt.Errorf("workload: invalid extra helm values: %w", err)
	}
	bpa := &Bpa{}
	opts = append(opts, pulumi.Providers(args.KubeProvider))
	if err := ctx.RegisterComponentResource(TypeToken, name, bpa, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(bpa)

	ns, err := corev1.NewNamespace(ctx, name+"-namespace", &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:   pulumi.String(args.Namespace),
			Labels: pulumi.StringMap{"app.kubernetes.io/part-of": pulumi.String("bpa")},
		},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("workload %s: create namespace: %w", name, err)
	}
	// Children name the namespace as plain text (known in previews) and
	// wait for it explicitly.
	namespace := pulumi.String(args.Namespace)
	inNamespace := pulumi.DependsOn([]pulumi.Resource{ns})

	secrets := []struct {
		name, kind string
		data       pulumi.StringMap
	}{
		{TLSSecretName, "kubernetes.io/tls", pulumi.StringMap{"tls.crt": args.TLSCertificate, "tls.key": args.TLSKey}},
		{KongSecretName, "Opaque", databaseSecret(args.Postgres, args.Postgres.Kong)},
		{CamundaSecretName, "Opaque", databaseSecret(args.Postgres, args.Postgres.Camunda)},
		{MongoSecretName, "Opaque", pulumi.StringMap{"connectionString": pulumi.ToSecret(args.MongoConnectionString).(pulumi.StringOutput)}},
	}
	waitFor := append([]pulumi.Resource{ns}, args.WaitFor...)
	for _, s := range secrets {
		sec, err := corev1.NewSecret(ctx, name+"-"+strings.TrimPrefix(s.name, "bpa-"), &corev1.SecretArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(s.name), Namespace: namespace},
			Type:     pulumi.String(s.kind),
			// StringData is write-only in the API; Pulumi keeps it secret in state.
			StringData: s.data,
		}, parent, inNamespace)
		if err != nil {
			return nil, fmt.Errorf("workload %s: create secret %s: %w", name, s.name, err)
		}
		// The chart refers to the secrets by name, which carries no
		// dependency: the release must still wait for them.
		waitFor = append(waitFor, sec)
	}

	release, err := helmv3.NewRelease(ctx, name+"-release", &helmv3.ReleaseArgs{
		Name:            pulumi.String(args.ReleaseName),
		Namespace:       namespace,
		Chart:           pulumi.String(args.Chart.Location),
		Version:         optional(args.Chart.Version),
		RepositoryOpts:  repository(args.Chart.Repository),
		CreateNamespace: pulumi.Bool(false),
		Atomic:          pulumi.Bool(true),
		CleanupOnFail:   pulumi.Bool(true),
		Timeout:         pulumi.Int(args.TimeoutSecond),
		MaxHistory:      pulumi.Int(10),
		Values:          toInput(values).(pulumi.Map),
	}, parent, pulumi.DependsOn(waitFor))
	if err != nil {
		return nil, fmt.Errorf("workload %s: create helm release: %w", name, err)
	}

	bpa.Namespace = ns.Metadata.Name().Elem()
	bpa.ReleaseName = release.Name.Elem()
	bpa.ReleaseStatus = release.Status.Status()
	return bpa, ctx.RegisterResourceOutputs(bpa, pulumi.Map{
		"namespace":     bpa.Namespace,
		"releaseStatus": bpa.ReleaseStatus,
	})
}

func databaseSecret(pg Postgres, db Database) pulumi.StringMap {
	return pulumi.StringMap{
		"host":     pg.Host,
		"port":     pulumi.Sprintf("%d", pg.Port),
		"sslmode":  pulumi.String(pg.SSLMode),
		"database": pulumi.String(db.Name),
		"username": pulumi.String(db.User),
		"password": pulumi.ToSecret(db.Password).(pulumi.StringOutput),
	}
}

func optional(s string) pulumi.StringPtrInput {
	if s == "" {
		return nil
	}
	return pulumi.String(s)
}

func repository(url string) helmv3.RepositoryOptsPtrInput {
	if url == "" {
		return nil
	}
	return &helmv3.RepositoryOptsArgs{Repo: pulumi.String(url)}
}

// secretRef points the chart at one key of a Kubernetes secret.
func secretRef(name, key string) map[string]any {
	return map[string]any{"name": name, "key": key}
}

// wiredValues are the chart values that come from other components. Keys
// follow the guide's environment names where it gives them.
func wiredValues(a *Args) map[string]any {
	return map[string]any{
		"ingress_controller": map[string]any{
			"create":                  true,
			"default_ssl_certificate": a.Namespace + "/" + TLSSecretName,
		},
		"global": map[string]any{
			"imageRegistry": a.ImageRegistry,
			"nodeSelector":  map[string]any{"labelKey": a.NodeLabelKey, "nodes": stringsToAny(a.NodeNames)},
		},
		"postgres": map[string]any{
			"host":    a.Postgres.Host,
			"port":    a.Postgres.Port,
			"sslmode": a.Postgres.SSLMode,
			"auth": map[string]any{ // Kong: AUTH_DB_NAME, AUTH_DB_USER, AUTH_DB_PASSWORD
				"database":       a.Postgres.Kong.Name,
				"user":           a.Postgres.Kong.User,
				"passwordSecret": secretRef(KongSecretName, "password"),
			},
			"workflow": map[string]any{ // Camunda: WFE_DB_NAME, WFE_DB_USER, WFE_DB_PASSWORD
				"database":       a.Postgres.Camunda.Name,
				"user":           a.Postgres.Camunda.User,
				"passwordSecret": secretRef(CamundaSecretName, "password"),
			},
		},
		"mongodb": map[string]any{
			"connectionStringSecret": secretRef(MongoSecretName, "connectionString"),
		},
	}
}

func stringsToAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// mergeValues lays extra over base, key by key through nested maps.
func mergeValues(base, extra map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(base))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		if sub, ok := v.(map[string]any); ok {
			if baseSub, ok := out[k].(map[string]any); ok {
				merged, err := mergeValues(baseSub, sub)
				if err != nil {
					return nil, fmt.Errorf("%s.%w", k, err)
				}
				out[k] = merged
				continue
			}
		}
		if strings.Contains(strings.ToLower(k), "password") {
			return nil, fmt.Errorf("%s: passwords reach the chart only through secrets", k)
		}
		out[k] = v
	}
	return out, nil
}

// toInput turns plain values (and inputs nested in them) into pulumi inputs.
func toInput(v any) pulumi.Input {
	switch v := v.(type) {
	case pulumi.Input:
		return v
	case map[string]any:
		m := pulumi.Map{}
		for k, e := range v {
			m[k] = toInput(e)
		}
		return m
	case []any:
		a := pulumi.Array{}
		for _, e := range v {
			a = append(a, toInput(e))
		}
		return a
	case string:
		return pulumi.String(v)
	case bool:
		return pulumi.Bool(v)
	case int:
		return pulumi.Int(v)
	case float64:
		return pulumi.Float64(v)
	case nil:
		return nil
	}
	return pulumi.Any(v)
}
