// Package readme renders the README's generated sections: the
// configuration reference from Pulumi.yaml, and the deployment time and
// cost of every committed stack from its offline plan. `go generate ./...`
// writes them (cmd/readme); a test fails while the README differs.
package readme

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	bpa "github.com/bpa-infra/bpa-infra"
	"github.com/bpa-infra/bpa-infra/internal/cost"
	"github.com/bpa-infra/bpa-infra/internal/deploytime"
	"github.com/bpa-infra/bpa-infra/internal/harness"
)

// Section names, as the README's markers spell them.
const (
	ConfigReference = "config-reference"
	DeploymentTime  = "deployment-time"
	MonthlyCost     = "monthly-cost"
)

func begin(name string) string {
	return "<!-- generated: " + name + " (go generate ./...; edit Pulumi.yaml or the program, not this) -->"
}
func end(name string) string { return "<!-- end generated: " + name + " -->" }

// Sections renders every generated section of the project in dir.
func Sections(dir string) (map[string]string, error) {
	ref, err := configReference(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		return nil, fmt.Errorf("configuration reference: %w", err)
	}
	timeTable, costTable, err := figures(dir)
	if err != nil {
		return nil, err
	}
	return map[string]string{ConfigReference: ref, DeploymentTime: timeTable, MonthlyCost: costTable}, nil
}

// Apply replaces each section's text between its markers in readme.
func Apply(readme string, sections map[string]string) (string, error) {
	for _, name := range slices.Sorted(maps.Keys(sections)) {
		b, e := begin(name), end(name)
		i, j := strings.Index(readme, b), strings.Index(readme, e)
		if i < 0 || j < i {
			return "", fmt.Errorf("README has no %q ... %q markers", b, e)
		}
		readme = readme[:i+len(b)] + "\n" + sections[name] + readme[j:]
	}
	return readme, nil
}

// configReference is one table row per key Pulumi.yaml declares, in its
// order, under its section comments (# --- Network ---).
func configReference(path string) (string, error) {
	text, err := os.ReadFile(path) //nolint:gosec // the project's own Pulumi.yaml, named by the generator
	if err != nil {
		return "", err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil {
		return "", err
	}
	config := mappingValue(doc.Content[0], "config")
	if config == nil {
		return "", fmt.Errorf("%s declares no config", path)
	}
	var b strings.Builder
	b.WriteString("| key | type | default | meaning |\n| --- | --- | --- | --- |\n")
	for i := 0; i+1 < len(config.Content); i += 2 {
		keyNode, spec := config.Content[i], config.Content[i+1]
		if title := sectionTitle(keyNode.HeadComment); title != "" {
			fmt.Fprintf(&b, "| **%s** | | | |\n", title)
		}
		if strings.Contains(keyNode.Value, ":") {
			continue // another package's setting (aws:...), not a bpa: key
		}
		var s struct {
			Type        string
			Secret      bool
			Items       struct{ Type string }
			Description string
			Default     yaml.Node
		}
		if err := spec.Decode(&s); err != nil {
			return "", fmt.Errorf("%s: %w", keyNode.Value, err)
		}
		kind := s.Type
		if kind == "array" {
			kind = s.Items.Type + "[]"
		}
		if s.Secret {
			kind = "secret " + kind
		}
		def, err := defaultText(&s.Default)
		if err != nil {
			return "", fmt.Errorf("%s: %w", keyNode.Value, err)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", keyNode.Value, kind, def, cell(s.Description))
	}
	return b.String(), nil
}

func mappingValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func sectionTitle(comment string) string {
	for line := range strings.SplitSeq(comment, "\n") {
		if t, ok := strings.CutPrefix(strings.TrimSpace(line), "# --- "); ok {
			return strings.TrimSpace(strings.TrimRight(t, "- "))
		}
	}
	return ""
}

// defaultText is "required" without a default, "none" for the empty value
// the program reads as unset, else the value as code.
func defaultText(n *yaml.Node) (string, error) {
	if n.Kind == 0 {
		return "required", nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return "", err
	}
	switch x := v.(type) {
	case string:
		if x == "" {
			return "none", nil
		}
		return "`" + x + "`", nil
	case map[string]any:
		if len(x) == 0 {
			return "none", nil
		}
	}
	text, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return "`" + cell(string(text)) + "`", nil
}

func cell(s string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "|", `\|`)
}

// figures are the deployment-time and cost tables of every stack with a
// Pulumi.<stack>.yaml in dir, from the same offline run as cmd/plan.
func figures(dir string) (timeTable, costTable string, err error) {
	stacks, err := harness.StackNames(dir)
	if err != nil {
		return "", "", err
	}
	var times, costs strings.Builder
	times.WriteString("| stack | serial sum | critical path |\n| --- | --- | --- |\n")
	// A component without a charge in any stack (the workload) gets no column.
	var columns []string
	reports := map[string]*cost.Report{}
	failures := map[string]string{}
	for _, stack := range stacks {
		opts, err := harness.LoadStack(dir, stack)
		if err != nil {
			return "", "", err
		}
		rec, err := harness.Run(bpa.Program, opts)
		if err != nil {
			return "", "", fmt.Errorf("stack %s: %w", stack, err)
		}
		path := deploytime.Analyze(rec)
		fmt.Fprintf(&times, "| %s | %s | %s |\n", stack, seconds(path.SerialSeconds), seconds(path.CriticalPathSeconds))
		report, err := cost.Estimate(rec)
		if err != nil {
			failures[stack] = err.Error()
			continue
		}
		reports[stack] = report
		for _, c := range report.Components {
			if c.Monthly != 0 && !slices.Contains(columns, c.Component) {
				columns = append(columns, c.Component)
			}
		}
	}
	sort.Strings(columns)
	costs.WriteString("| USD / month | " + strings.Join(columns, " | ") + " | total |\n")
	costs.WriteString("| --- |" + strings.Repeat(" ---: |", len(columns)+1) + "\n")
	for _, stack := range stacks {
		report := reports[stack]
		if report == nil {
			fmt.Fprintf(&costs, "| %s | not estimated: %s |\n", stack, cell(failures[stack]))
			continue
		}
		monthly := map[string]float64{}
		for _, c := range report.Components {
			monthly[c.Component] = c.Monthly
		}
		row := []string{stack}
		for _, c := range columns {
			row = append(row, cost.Money(monthly[c]))
		}
		costs.WriteString("| " + strings.Join(append(row, "**"+cost.Money(report.Total)+"**"), " | ") + " |\n")
	}
	return times.String(), costs.String(), nil
}

func seconds(s int) string { return (time.Duration(s) * time.Second).String() }
