package config_test

import (
	"strings"
	"testing"
)

func TestWorkloadSettingsDecodeFromTheirKeys(t *testing.T) {
	t.Parallel()
	cfg, err := parse(minimal())
	if err != nil {
		t.Fatal(err)
	}
	w := cfg.Workload
	if w.Namespace != "bpa-ns" || w.ReleaseName != "bpa-rel" || w.ChartVersion != "4.0.3-6" || w.TimeoutSeconds != 1800 ||
		!w.InstallRelease || w.PostRenderer != "bpa-postrender" {
		t.Errorf("workload settings %+v", w)
	}
	// chartValuePaths {} keeps every fact at its path in the chart's values.
	if w.ValuePaths["rootPassword"] != "PG_INITDB_ROOT_PASSWORD" || w.ValuePaths["mongoUri"] != "MONGODB_URI" {
		t.Errorf("value paths %v", w.ValuePaths)
	}
}

func TestWorkloadSettingsAreValidated(t *testing.T) {
	t.Parallel()
	expectKeyErrors(t, map[string]keyErrorCase{
		// No chart location is the stack's own ECR chart repository: a
		// registry, so the version is pinned.
		"own registry chart without version": {func(c map[string]string) {
			delete(c, "bpa:chart")
			c["bpa:chartVersion"] = ""
		}, "bpa:chartVersion", "is required"},
		"unknown chart fact":   {func(c map[string]string) { c["bpa:chartValuePaths"] = `{"kafkaPassword":"x"}` }, "bpa:chartValuePaths", "not a wired fact"},
		"chart path malformed": {func(c map[string]string) { c["bpa:chartValuePaths"] = `{"kongUser":"auth..user"}` }, "bpa:chartValuePaths", "dotted values path"},
		"chart paths collide": {func(c map[string]string) {
			c["bpa:chartValuePaths"] = `{"kongUser":"AUTH_DB_NAME.user"}`
		}, "bpa:chartValuePaths", "collides"},
		"post-renderer a path": {func(c map[string]string) { c["bpa:helmPostRenderer"] = "./bin/bpa-postrender" }, "bpa:helmPostRenderer", "on PATH"},
		"oci chart without version": {func(c map[string]string) {
			c["bpa:chart"] = "oci://r.example/bpa"
			c["bpa:chartVersion"] = ""
		}, "bpa:chartVersion", "is required"},
		"repo chart without version": {func(c map[string]string) {
			c["bpa:chart"] = "bpa"
			c["bpa:chartRepository"] = "https://charts.example"
			c["bpa:chartVersion"] = ""
		}, "bpa:chartVersion", "is required"},
		"bad version":           {func(c map[string]string) { c["bpa:chartVersion"] = "latest" }, "bpa:chartVersion", `"latest"`},
		"plain http repo":       {func(c map[string]string) { c["bpa:chartRepository"] = "http://charts.example" }, "bpa:chartRepository", "https://"},
		"namespace not a label": {func(c map[string]string) { c["bpa:namespace"] = "BPA_NS" }, "bpa:namespace", "DNS label"},
		"timeout too short":     {func(c map[string]string) { c["bpa:helmTimeoutSeconds"] = "5" }, "bpa:helmTimeoutSeconds", "between 60 and 7200"},
		"password in values": {func(c map[string]string) { c["bpa:helmValues"] = `{"kong":{"adminPassword":"x"}}` },
			"bpa:helmValues", "kong.adminPassword"},
		"values not an object": {func(c map[string]string) { c["bpa:helmValues"] = `[1]` }, "bpa:helmValues", "not a valid object"},
		"certificate missing":  {func(c map[string]string) { delete(c, "bpa:tlsCertificate") }, "bpa:tlsCertificate", "--secret"},
		"key missing":          {func(c map[string]string) { delete(c, "bpa:tlsPrivateKey") }, "bpa:tlsPrivateKey", "--secret"},
	})
}

func TestTLSKeyInPlainTextIsRefused(t *testing.T) {
	t.Parallel()
	_, err := parseWithSecrets(minimal(), map[string]bool{"bpa:tlsCertificate": true})
	if err == nil || !strings.Contains(err.Error(), "bpa:tlsPrivateKey: must be stored encrypted") {
		t.Errorf("plain-text TLS key accepted: %v", err)
	}
}
