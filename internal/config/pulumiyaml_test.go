package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/bpa-infra/bpa-infra/internal/config"
	"github.com/bpa-infra/bpa-infra/internal/harness"
)

func loadProject(t *testing.T) *workspace.Project {
	t.Helper()
	dir, _ := os.Getwd()
	for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if p, err := workspace.LoadProject(filepath.Join(dir, "Pulumi.yaml")); err == nil {
			return p
		} else if !os.IsNotExist(err) && !strings.Contains(err.Error(), "no such file") {
			t.Fatal(err)
		}
	}
	t.Fatal("Pulumi.yaml not found")
	return nil
}

// Pulumi.yaml is the documentation `pulumi config` shows and the type check
// the CLI applies; it must describe exactly what the program reads.
func TestPulumiYamlDeclaresEveryKeyAsTheProgramReadsIt(t *testing.T) {
	t.Parallel()
	proj := loadProject(t)
	read := map[string]bool{}
	for _, spec := range config.Keys() {
		short := strings.TrimPrefix(spec.Key, config.Namespace+":")
		read[short] = true
		decl, ok := proj.Config[short]
		if !ok {
			t.Errorf("%s is read by the program but not declared in Pulumi.yaml", spec.Key)
			continue
		}
		if decl.TypeName() != string(spec.Kind) {
			t.Errorf("%s: Pulumi.yaml type %q, program reads %q", spec.Key, decl.TypeName(), spec.Kind)
		}
		if strings.TrimSpace(decl.Description) == "" {
			t.Errorf("%s has no description in Pulumi.yaml", spec.Key)
		}
		if spec.Required && decl.Default != nil {
			t.Errorf("%s is required, so Pulumi.yaml must not give it a default", spec.Key)
		}
		// Pulumi.yaml is the only place a default lives: the program
		// has none of its own.
		if !spec.Required && decl.Default == nil && decl.Value == nil {
			t.Errorf("%s is optional, so Pulumi.yaml must give it a default", spec.Key)
		}
		if spec.Secret != decl.Secret {
			t.Errorf("%s: Pulumi.yaml secret=%v, program secret=%v", spec.Key, decl.Secret, spec.Secret)
		}
	}
	for key := range proj.Config {
		if !strings.Contains(key, ":") && !read[key] {
			t.Errorf("Pulumi.yaml declares %s but the program never reads it", key)
		}
	}
}

// Pulumi.yaml's defaults complete a stack of only the required keys: every
// one decodes and passes the checks. One default is a safety rule rather
// than a choice: a stack that leaves bpa:protect out is protected.
func TestPulumiYamlDefaultsCompleteAStackOfTheRequiredKeys(t *testing.T) {
	t.Parallel()
	defaults, err := harness.ProjectDefaults("../..")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := parseOver(defaults, minimal(), secretKeys)
	if err != nil {
		t.Fatalf("Pulumi.yaml's defaults do not make a valid stack: %v", err)
	}
	if !cfg.Protect {
		t.Error("a stack without bpa:protect is unprotected: its databases could be deleted by a routine destroy")
	}
}
