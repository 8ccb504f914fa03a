package bpa_test

import (
	"testing"

	bpa "github.com/bpa-infra/bpa-infra"
	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/stacktest"
)

// BenchmarkProgram runs the whole program under the recording mock with each
// stack's real configuration, as every test and the offline plan do.
func BenchmarkProgram(b *testing.B) {
	for _, stack := range stacktest.Stacks(b) {
		opts := stacktest.Options(b, stack)
		b.Run(stack, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := harness.Run(bpa.Program, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
