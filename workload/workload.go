package workload

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/workload/postrender"
)

// TypeToken is the component's type in URNs.
const TypeToken = "bpa:workload:Bpa"

// Names the BPA chart and its ingress controller expect.
const (
	TLSSecretName     = postrender.TLSSecret
	RootSecretName    = "bpa-root-db"
	KongSecretName    = "bpa-kong-db"
	CamundaSecretName = "bpa-camunda-db"
	MongoSecretName   = "bpa-mongo"
)

// Database is one PostgreSQL login the chart uses.
type Database struct {
	Name     string
	User     string
	Password pulumi.StringInput // secret
}

// Postgres is how BPA reaches RDS: its own root login (the guide's
// PG_INITDB_ROOT_*), Kong's and Camunda's.
type Postgres struct {
	Host    pulumi.StringInput
	Port    pulumi.IntInput
	SSLMode string
	Root    Database
	Kong    Database
	Camunda Database
}

// Mongo is how BPA reaches Atlas: its user and the cluster's private SRV
// address.
type Mongo struct {
	Username   pulumi.StringInput
	Password   pulumi.StringInput // secret
	AuthSource pulumi.StringInput
	// SrvAddress is the private-endpoint mongodb+srv:// address (secret).
	SrvAddress pulumi.StringInput
}

// Args describe the BPA installation.
type Args struct {
	// KubeProvider is the cluster's provider; required, never the default one.
	KubeProvider pulumi.ProviderResource
	// DefaultChart is where the chart comes from when Settings.Chart is
	// empty: the stack's own ECR chart repository.
	DefaultChart pulumi.StringInput
	// TLSCertificate and TLSKey are PEM text, secrets from stack config.
	TLSCertificate pulumi.StringInput
	TLSKey         pulumi.StringInput
	// ImageRegistry is where the chart pulls BPA images from.
	ImageRegistry pulumi.StringInput
	Postgres      Postgres
	Mongo         Mongo
	// WaitFor is what must be ready before the release installs.
	WaitFor []pulumi.Resource
	Settings
}

// Settings are what a stack decides about the release; internal/config
// decodes them from the bpa: keys named below, whose defaults Pulumi.yaml
// holds.
type Settings struct {
	// Namespace and ReleaseName are DNS labels of at most 53 characters
	// (bpa:namespace, bpa:releaseName).
	Namespace   string
	ReleaseName string
	// Chart is a local path, a chart name in ChartRepository, or an oci://
	// reference; empty is Args.DefaultChart (bpa:chart).
	Chart string
	// ChartVersion pins the chart, required for a registry or repository
	// (bpa:chartVersion); ChartRepository is an https:// Helm repository
	// (bpa:chartRepository).
	ChartVersion    string
	ChartRepository string
	// TimeoutSeconds bounds the install or upgrade, 60 to 7200
	// (bpa:helmTimeoutSeconds).
	TimeoutSeconds int
	// InstallRelease installs the chart; false creates only the namespace
	// and secrets, for the first phase of a first deployment (images and
	// chart are pushed to the new registry between the two phases;
	// bpa:installRelease).
	InstallRelease bool
	// PostRenderer is the executable Helm pipes the rendered chart through
	// (bpa-postrender, which adds the ingress controller's default
	// certificate); empty renders the chart as it is (bpa:helmPostRenderer).
	PostRenderer string
	// ValuePaths say where in the chart's values each fact goes (see
	// ValuePaths); a fact without a path is not wired (bpa:chartValuePaths).
	ValuePaths map[Fact]string
	// Values from stack config are merged over the wired values, never
	// passwords (bpa:helmValues).
	Values map[string]any
}

// chart is where the release takes the chart from.
func (a *Args) chart() pulumi.StringInput {
	if a.Chart != "" {
		return pulumi.String(a.Chart)
	}
	return a.DefaultChart
}

// Bpa is the installed application.
type Bpa struct {
	pulumi.ResourceState

	Namespace     pulumi.StringOutput
	ReleaseStatus pulumi.StringOutput
}

func (a *Args) validate() error {
	var errs []error
	if a.KubeProvider == nil {
		errs = append(errs, errors.New("KubeProvider is required: BPA must never land on an ambient kubeconfig"))
	}
	if a.Namespace == "" || a.ReleaseName == "" {
		errs = append(errs, errors.New("namespace and release name are required"))
	}
	if a.Chart == "" && a.DefaultChart == nil {
		errs = append(errs, errors.New("chart location is required (Chart or DefaultChart)"))
	}
	if a.TimeoutSeconds <= 0 {
		errs = append(errs, errors.New("timeout must be positive"))
	}
	if a.TLSCertificate == nil || a.TLSKey == nil {
		errs = append(errs, errors.New("TLS certificate and key are required"))
	}
	p := a.Postgres
	if a.ImageRegistry == nil || p.Host == nil || p.Port == nil ||
		p.Root.Password == nil || p.Kong.Password == nil || p.Camunda.Password == nil {
		errs = append(errs, errors.New("image registry, the PostgreSQL connection and passwords are required"))
	}
	m := a.Mongo
	if m.Username == nil || m.Password == nil || m.AuthSource == nil || m.SrvAddress == nil {
		errs = append(errs, errors.New("the MongoDB user, password, auth source and SRV address are required"))
	}
	paths := map[string]string{}
	for f, p := range a.ValuePaths {
		paths[string(f)] = p
	}
	if checked, err := ValuePaths(paths); err != nil {
		errs = append(errs, fmt.Errorf("value paths: %w", err))
	} else if len(a.ValuePaths) != len(checked) {
		errs = append(errs, errors.New("value paths: every fact needs one (workload.ValuePaths gives the defaults)"))
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
	mongoURI := MongoURI(args.Mongo)
	values, err := MergeValues(Place(args.ValuePaths, facts(args, mongoURI)), args.Values, args.ValuePaths)
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

	m := args.Mongo
	secrets := []struct {
		name, kind string
		data       pulumi.StringMap
	}{
		{TLSSecretName, "kubernetes.io/tls", pulumi.StringMap{"tls.crt": args.TLSCertificate, "tls.key": args.TLSKey}},
		{RootSecretName, "Opaque", databaseSecret(args.Postgres, args.Postgres.Root)},
		{KongSecretName, "Opaque", databaseSecret(args.Postgres, args.Postgres.Kong)},
		{CamundaSecretName, "Opaque", databaseSecret(args.Postgres, args.Postgres.Camunda)},
		{MongoSecretName, "Opaque", pulumi.StringMap{
			"username":         m.Username,
			"password":         secret(m.Password),
			"authSource":       m.AuthSource,
			"srvAddress":       secret(m.SrvAddress),
			"connectionString": mongoURI,
		}},
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

	bpa.Namespace = ns.Metadata.Name().Elem()
	outputs := pulumi.Map{"namespace": bpa.Namespace}
	if args.InstallRelease {
		release, err := helmv3.NewRelease(ctx, name+"-release", &helmv3.ReleaseArgs{
			Name:            pulumi.String(args.ReleaseName),
			Namespace:       namespace,
			Chart:           args.chart(),
			Version:         optional(args.ChartVersion),
			RepositoryOpts:  repository(args.ChartRepository),
			Postrender:      optional(args.PostRenderer),
			CreateNamespace: pulumi.Bool(false),
			Atomic:          pulumi.Bool(true),
			CleanupOnFail:   pulumi.Bool(true),
			Timeout:         pulumi.Int(args.TimeoutSeconds),
			MaxHistory:      pulumi.Int(10),
			Values:          toInput(values).(pulumi.Map),
		}, parent, pulumi.DependsOn(waitFor))
		if err != nil {
			return nil, fmt.Errorf("workload %s: create helm release: %w", name, err)
		}
		bpa.ReleaseStatus = release.Status.Status()
		outputs["releaseStatus"] = bpa.ReleaseStatus
	} else {
		bpa.ReleaseStatus = pulumi.String("not installed (bpa:installRelease is false)").ToStringOutput()
	}
	return bpa, ctx.RegisterResourceOutputs(bpa, outputs)
}

// facts are the values the program wires, by fact; credentials are secret.
func facts(a *Args, mongoURI pulumi.StringOutput) map[Fact]any {
	p := a.Postgres
	return map[Fact]any{
		FactIngressControllerCreate: true,
		FactPostgresHost:            p.Host,
		FactPostgresPort:            p.Port,
		FactPostgresSSLMode:         p.SSLMode,
		FactRootDatabase:            p.Root.Name,
		FactRootUser:                p.Root.User,
		FactRootPassword:            secret(p.Root.Password),
		FactKongDatabase:            p.Kong.Name,
		FactKongUser:                p.Kong.User,
		FactKongPassword:            secret(p.Kong.Password),
		FactCamundaDatabase:         p.Camunda.Name,
		FactCamundaUser:             p.Camunda.User,
		FactCamundaPassword:         secret(p.Camunda.Password),
		FactMongoURI:                mongoURI,
		FactImageRegistry:           a.ImageRegistry,
	}
}

// percentEncode escapes everything but RFC 3986's unreserved characters, as
// MongoDB's connection string format asks of user and password: Go's
// userinfo encoding leaves "+&=$,;" alone, which some drivers decode.
func percentEncode(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func secret(v pulumi.StringInput) pulumi.StringOutput {
	return pulumi.ToSecret(v).(pulumi.StringOutput)
}

// MongoURI is the full connection string BPA's MongoDB driver takes: the
// user and password (escaped) in the private SRV address, and the auth
// source. SRV addresses imply TLS. Secret.
func MongoURI(m Mongo) pulumi.StringOutput {
	return secret(pulumi.All(m.SrvAddress, m.Username, m.Password, m.AuthSource).ApplyT(func(v []any) (string, error) {
		srv, user, password, authSource := v[0].(string), v[1].(string), v[2].(string), v[3].(string)
		u, err := url.Parse(srv)
		if err != nil || u.Scheme != "mongodb+srv" || u.Host == "" {
			return "", errors.New("the Atlas private SRV address is not a mongodb+srv:// URL")
		}
		query := url.Values{"authSource": {authSource}, "retryWrites": {"true"}, "w": {"majority"}}.Encode()
		return "mongodb+srv://" + percentEncode(user) + ":" + percentEncode(password) + "@" + u.Host + "/?" + query, nil
	}).(pulumi.StringOutput))
}

func databaseSecret(pg Postgres, db Database) pulumi.StringMap {
	return pulumi.StringMap{
		"host":     pg.Host,
		"port":     pulumi.Sprintf("%d", pg.Port),
		"sslmode":  pulumi.String(pg.SSLMode),
		"database": pulumi.String(db.Name),
		"username": pulumi.String(db.User),
		"password": secret(db.Password),
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
