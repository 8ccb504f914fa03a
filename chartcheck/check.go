package main

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"

	"github.com/bpa-infra/bpa-infra/workload"
	"github.com/bpa-infra/bpa-infra/workload/postrender"
)

// Report is what a chart does with the values the program wires.
type Report struct {
	Chart string
	// Unread are the wired facts whose value path the chart never reads:
	// rendering it with another value changes nothing.
	Unread []Finding
	// RenderError is set when the chart does not render with the wired
	// values.
	RenderError string
	// PostRenderError is set when bpa-postrender finds no ingress
	// controller in the rendered chart.
	PostRenderError string
}

// Finding is one wired fact and where it was put.
type Finding struct {
	Fact workload.Fact
	Path string
}

// OK reports whether the chart reads everything and renders.
func (r *Report) OK() bool {
	return len(r.Unread) == 0 && r.RenderError == "" && r.PostRenderError == ""
}

// Release is what Helm renders the chart for.
type Release struct {
	Name, Namespace string
	// Paths say where each fact goes (the stack's bpa:chartValuePaths);
	// Extra are the stack's bpa:helmValues, merged over the wired values.
	Paths map[workload.Fact]string
	Extra map[string]any
}

// sampleFacts stand in for what the program wires, one recognisable value
// per fact, and a second set differing in every fact.
func sampleFacts(variant string) map[workload.Fact]any {
	out := map[workload.Fact]any{}
	for f := range workload.DefaultValuePaths {
		out[f] = "chartcheck-" + variant + "-" + string(f)
	}
	out[workload.FactPostgresPort] = map[string]int{"a": 5432, "b": 6432}[variant]
	out[workload.FactIngressControllerCreate] = variant == "a"
	return out
}

// Check loads a chart (a directory or a .tgz), renders it as Helm would
// install it with the wired values, and reports every wired value path the
// chart never reads and every render or post-render error.
func Check(chartPath string, rel Release) (*Report, error) {
	ch, err := loader.Load(chartPath)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", chartPath, err)
	}
	rep := &Report{Chart: ch.Metadata.Name + " " + ch.Metadata.Version}
	base := sampleFacts("a")
	rendered, err := render(ch, rel, base)
	if err != nil {
		rep.RenderError = err.Error()
		return rep, nil
	}
	if _, err := postrender.Apply(strings.NewReader(rendered), postrender.TLSSecret); err != nil {
		rep.PostRenderError = err.Error()
	}
	other := sampleFacts("b")
	for _, f := range slices.Sorted(maps.Keys(rel.Paths)) {
		if rel.Paths[f] == "" {
			continue
		}
		changed := maps.Clone(base)
		changed[f] = other[f]
		out, err := render(ch, rel, changed)
		if err != nil {
			rep.RenderError = fmt.Sprintf("with another %s: %v", f, err)
			continue
		}
		if out == rendered {
			rep.Unread = append(rep.Unread, Finding{Fact: f, Path: rel.Paths[f]})
		}
	}
	return rep, nil
}

// render is the chart's manifests as helm install writes them, one document
// per template with its "# Source:" line.
func render(ch *chart.Chart, rel Release, facts map[workload.Fact]any) (string, error) {
	values, err := workload.MergeValues(workload.Place(rel.Paths, facts), rel.Extra, rel.Paths)
	if err != nil {
		return "", err
	}
	top, err := chartutil.ToRenderValues(ch, values, chartutil.ReleaseOptions{
		Name: rel.Name, Namespace: rel.Namespace, IsInstall: true, Revision: 1,
	}, chartutil.DefaultCapabilities)
	if err != nil {
		return "", err
	}
	files, err := engine.Render(ch, top)
	if err != nil {
		return "", err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		if strings.HasSuffix(name, "NOTES.txt") || strings.TrimSpace(files[name]) == "" {
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", name, strings.TrimSpace(files[name]))
	}
	return b.String(), nil
}
