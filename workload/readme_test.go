package workload_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/bpa-infra/bpa-infra/internal/stacktest"
	"github.com/bpa-infra/bpa-infra/workload"
)

// The README's chart values table is what platform engineers map a real
// chart against; it lists every fact with its default path and says which
// the guide names.
func TestReadmeChartValuesTableIsTheDefaults(t *testing.T) {
	t.Parallel()
	readme := stacktest.ReadFile(t, "README.md")
	for fact, path := range workload.DefaultValuePaths {
		row := fmt.Sprintf("| `%s` | `%s` | ", fact, path)
		i := strings.Index(readme, row)
		if i < 0 {
			t.Errorf("README has no row %q", row)
			continue
		}
		source := readme[i+len(row) : i+len(row)+strings.Index(readme[i+len(row):], "\n")]
		if fromGuide := strings.HasPrefix(source, "the guide"); fromGuide != slices.Contains(workload.GuideFacts, fact) {
			t.Errorf("%s: README says %q", fact, source)
		}
	}
}
