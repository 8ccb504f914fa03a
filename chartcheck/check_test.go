package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bpa-infra/bpa-infra/workload"
)

func standIn(t *testing.T) string {
	t.Helper()
	return filepath.Join("testdata", "bpa-chart")
}

func defaults() Release {
	return Release{Name: "bpa-rel", Namespace: "bpa-ns", Paths: workload.DefaultValuePaths}
}

// The guide's names reach the stand-in chart; the one fact the guide does
// not name (the MongoDB URI) is reported as never read.
func TestReportsExactlyTheWiredValuesTheChartNeverReads(t *testing.T) {
	t.Parallel()
	rep, err := Check(standIn(t), defaults())
	if err != nil {
		t.Fatal(err)
	}
	var unread []string
	for _, f := range rep.Unread {
		unread = append(unread, string(f.Fact)+"="+f.Path)
	}
	if want := []string{"mongoUri=MONGODB_URI"}; !slices.Equal(unread, want) {
		t.Errorf("unread %v, want %v", unread, want)
	}
	if rep.RenderError != "" || rep.PostRenderError != "" {
		t.Errorf("render %q, post-render %q", rep.RenderError, rep.PostRenderError)
	}
}

// A path the chart does not read, set by a stack, is found.
func TestAMisplacedPathIsReported(t *testing.T) {
	t.Parallel()
	rel := defaults()
	paths, err := workload.ValuePaths(map[string]string{"kongUser": "auth.user", "mongoUri": ""})
	if err != nil {
		t.Fatal(err)
	}
	rel.Paths = paths
	rep, err := Check(standIn(t), rel)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Unread) != 1 || rep.Unread[0] != (Finding{Fact: workload.FactKongUser, Path: "auth.user"}) {
		t.Errorf("unread %+v", rep.Unread)
	}
}

// Without its ingress controller the chart renders, but bpa-postrender has
// nothing to give the default certificate to.
func TestAChartWithoutTheIngressControllerIsReported(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	copyChart(t, standIn(t), dir)
	if err := os.Remove(filepath.Join(dir, "templates", "ingress-controller.yaml")); err != nil {
		t.Fatal(err)
	}
	rep, err := Check(dir, defaults())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.PostRenderError, "no ingress controller") {
		t.Errorf("post-render error %q", rep.PostRenderError)
	}
	if !slices.ContainsFunc(rep.Unread, func(f Finding) bool { return f.Fact == workload.FactIngressControllerCreate }) {
		t.Errorf("ingress_controller.create is no longer read, but not reported: %+v", rep.Unread)
	}
}

func TestARenderErrorIsReported(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	copyChart(t, standIn(t), dir)
	bad := []byte("{{ .Values.PG_HOST | nosuchfunction }}\n")
	if err := os.WriteFile(filepath.Join(dir, "templates", "bad.yaml"), bad, 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := Check(dir, defaults())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.RenderError, "nosuchfunction") || rep.OK() {
		t.Errorf("render error %q", rep.RenderError)
	}
}

// The command checks a committed stack's settings; the exit code says
// whether anything was found.
func TestCommandExitsNonZeroOnFindings(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	code := run([]string{"--dir", "..", "--stack", "prod", "--chart", standIn(t)}, &out, &errOut)
	if code != 1 || !strings.Contains(out.String(), "never reads MONGODB_URI (wired as mongoUri)") {
		t.Errorf("exit %d\n%s%s", code, out.String(), errOut.String())
	}
	if code := run([]string{"--stack", "prod"}, &out, &errOut); code != 2 {
		t.Errorf("missing --chart: exit %d", code)
	}
}

func copyChart(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}
