package bpa_test

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
)

// referenceRow is a row of the README's configuration reference: keys, type,
// default, meaning; several keys share a row as `a` / `b` with defaults
// `x` / `y`.
var referenceRow = regexp.MustCompile("^\\| (`[A-Za-z]+`(?: / `[A-Za-z]+`)*) \\| ([^|]+) \\| ([^|]+) \\| [^|]+ \\|$")

// The README's configuration reference is the reader's map of Pulumi.yaml,
// the only place a default lives: it lists every declared key once, and
// each default it shows in code is Pulumi.yaml's ("required" where
// Pulumi.yaml has none, "none" where it is empty).
func TestReadmeConfigurationReferenceIsPulumiYaml(t *testing.T) {
	t.Parallel()
	readme := stacktest.ReadFile(t, "README.md")
	start := strings.Index(readme, "## Configuration reference")
	if start < 0 {
		t.Fatal("README has no Configuration reference")
	}
	section := readme[start:]
	if end := strings.Index(section[3:], "\n#"); end >= 0 {
		section = section[:end+3]
	}
	defaults, err := harness.ProjectDefaults(stacktest.Root(t))
	if err != nil {
		t.Fatal(err)
	}
	proj, err := workspace.LoadProject(filepath.Join(stacktest.Root(t), "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for key := range proj.Config {
		if !strings.Contains(key, ":") {
			declared[key] = true
		}
	}
	shown := map[string]bool{}
	for line := range strings.SplitSeq(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		m := referenceRow.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("README reference row is not | key | type | default | meaning |: %s", line)
			continue
		}
		keys := strings.Split(strings.ReplaceAll(m[1], "`", ""), " / ")
		values := strings.Split(strings.TrimSpace(m[3]), " / ")
		for i, key := range keys {
			if shown[key] {
				t.Errorf("README lists %s twice", key)
			}
			shown[key] = true
			if !declared[key] {
				t.Errorf("README lists %s, which Pulumi.yaml does not declare", key)
				continue
			}
			value := values[0]
			if len(values) == len(keys) {
				value = values[i]
			}
			def, hasDefault := defaults["bpa:"+key]
			switch {
			case value == "required":
				if hasDefault {
					t.Errorf("README says %s is required; Pulumi.yaml defaults it to %q", key, def)
				}
			case value == "none":
				if !hasDefault || (def != "" && def != "{}") {
					t.Errorf("README says %s has no default; Pulumi.yaml's is %q", key, def)
				}
			case strings.HasPrefix(value, "`") && strings.HasSuffix(value, "`"):
				if want := strings.Trim(value, "`"); !hasDefault || def != want {
					t.Errorf("README gives %s the default %s; Pulumi.yaml's is %q", key, want, def)
				}
			}
		}
	}
	for key := range declared {
		if !shown[key] {
			t.Errorf("Pulumi.yaml declares %s, which the README's configuration reference does not list", key)
		}
	}
}
