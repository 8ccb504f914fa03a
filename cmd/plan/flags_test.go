package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpa-infra/bpa-infra/internal/stacktest"
)

func TestHelpExitsZeroAndShowsFlagsAsFlags(t *testing.T) {
	t.Parallel()
	code, out, _ := runPlan(t, "--help")
	if code != 0 || !strings.HasPrefix(out, usage) {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	// A bool flag takes no value: its line is "-json" alone.
	if !strings.Contains(out, "\n  -json\n") {
		t.Errorf("--json is shown as taking a value:\n%s", out)
	}
}

func TestBadUsageIsRefused(t *testing.T) {
	t.Parallel()
	root := stacktest.Root(t)
	for name, args := range map[string][]string{
		"extra argument":      {"--stack", "example", "--dir", root, "another"},
		"two outputs":         {"--stack", "example", "--dir", root, "--json", "--policy"},
		"no stack":            {"--dir", root},
		"dir without project": {"--stack", "example", "--dir", t.TempDir()},
	} {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := runPlan(t, args...)
			if code != 2 || out != "" || errOut == "" {
				t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
		})
	}
}

// Run from a subdirectory, the plan finds Pulumi.yaml above it.
func TestPlanFindsTheProjectAboveTheWorkingDirectory(t *testing.T) {
	root := stacktest.Root(t)
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(root, "internal", "config"))
	defer func() { _ = os.Chdir(wd) }()
	if code, _, errOut := runPlan(t, "--stack", stacktest.Stacks(t)[0], "--summary"); code != 0 {
		t.Errorf("exit %d: %s", code, errOut)
	}
	dir, err := findProject("")
	if err != nil || dir != root {
		t.Errorf("found %q (%v), want %q", dir, err, root)
	}
}
