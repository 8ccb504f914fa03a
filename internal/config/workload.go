package config

import (
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/workload"
)

// Secret keys the program reads only as Pulumi secrets.
const (
	KeyTLSCertificate = "tlsCertificate"
	KeyTLSPrivateKey  = "tlsPrivateKey"
)

var (
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	semver   = regexp.MustCompile(`^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$`)
	// A bare command name, found on PATH: a path would depend on the
	// directory Pulumi starts the provider in.
	postRendererPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
)

func readWorkload(r *reader, isSecret func(string) bool) workload.Settings {
	c := workload.Settings{
		Namespace:       r.string("namespace"),
		ReleaseName:     r.string("releaseName"),
		Chart:           r.optionalString("chart"),
		ChartVersion:    r.optionalString("chartVersion"),
		ChartRepository: r.optionalString("chartRepository"),
		TimeoutSeconds:  r.int("helmTimeoutSeconds"),
		InstallRelease:  r.bool("installRelease"),
		PostRenderer:    r.string("helmPostRenderer"),
	}
	r.object("helmValues", &c.Values)
	var paths map[string]string
	r.object("chartValuePaths", &paths)
	var err error
	if c.ValuePaths, err = workload.ValuePaths(paths); err != nil {
		r.fail("chartValuePaths", "%v", err)
	}
	if c.PostRenderer != "" && !postRendererPattern.MatchString(c.PostRenderer) {
		r.fail("helmPostRenderer", "%q must be the name of an executable on PATH (Helm runs it from the provider's working directory), such as bpa-postrender", c.PostRenderer)
	}
	r.secret(KeyTLSCertificate, isSecret, true)
	r.secret(KeyTLSPrivateKey, isSecret, true)

	for key, v := range map[string]string{"namespace": c.Namespace, "releaseName": c.ReleaseName} {
		if !dnsLabel.MatchString(v) || len(v) > 53 {
			r.fail(key, "%q must be a DNS label of at most 53 characters (lower-case letters, digits, hyphens)", v)
		}
	}
	// No chart location means the stack's own ECR repository for the chart.
	remote := c.Chart == "" || strings.HasPrefix(c.Chart, "oci://") || c.ChartRepository != ""
	if remote && c.ChartVersion == "" {
		r.fail("chartVersion", "is required when the chart comes from a registry or repository (%q): pin the BPA release", c.Chart)
	}
	if c.ChartVersion != "" && !semver.MatchString(c.ChartVersion) {
		r.fail("chartVersion", "%q is not a chart version such as 4.0.3-6", c.ChartVersion)
	}
	if c.ChartRepository != "" && !strings.HasPrefix(c.ChartRepository, "https://") {
		r.fail("chartRepository", "%q must be an https:// URL", c.ChartRepository)
	}
	if c.TimeoutSeconds < 60 || c.TimeoutSeconds > 7200 {
		r.fail("helmTimeoutSeconds", "%d must be between 60 and 7200", c.TimeoutSeconds)
	}
	if path := findPasswordKey(c.Values, ""); path != "" {
		r.fail("helmValues", "%s: passwords must not be set in stack values; the program hands them to the chart through Kubernetes secrets", path)
	}
	return c
}

// findPasswordKey returns the path of the first key that looks like a
// credential, so plain-text secrets cannot slip in through helm values.
func findPasswordKey(m map[string]any, prefix string) string {
	for k, v := range m {
		path := prefix + k
		lower := strings.ToLower(k)
		if strings.Contains(lower, "password") || strings.Contains(lower, "secretkey") || strings.Contains(lower, "token") {
			return path
		}
		if sub, ok := v.(map[string]any); ok {
			if p := findPasswordKey(sub, path+"."); p != "" {
				return p
			}
		}
	}
	return ""
}

// TLS returns the ingress certificate and key as Pulumi secrets; readWorkload
// has checked that both are set and encrypted.
func (*Config) TLS(ctx *pulumi.Context) (certificate, key pulumi.StringOutput) {
	secret := func(k string) pulumi.StringOutput {
		v, _ := ctx.GetConfig(Namespace + ":" + k)
		return pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput)
	}
	return secret(KeyTLSCertificate), secret(KeyTLSPrivateKey)
}
