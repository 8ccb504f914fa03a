package bpa_test

import (
	"testing"

	"github.com/bpa-infra/bpa-infra/internal/readme"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
)

// The README's configuration reference (from Pulumi.yaml, the only place a
// default lives) and its deployment time and cost tables (from every
// stack's offline plan) are generated; a change to either source must come
// with the regenerated README, so a pull request shows both.
func TestReadmeGeneratedSectionsAreCurrent(t *testing.T) {
	t.Parallel()
	text := stacktest.ReadFile(t, "README.md")
	sections, err := readme.Sections(stacktest.Root(t))
	if err != nil {
		t.Fatal(err)
	}
	want, err := readme.Apply(text, sections)
	if err != nil {
		t.Fatal(err)
	}
	if text != want {
		t.Error("README.md's generated sections are stale: run go generate ./... and commit README.md")
	}
}
