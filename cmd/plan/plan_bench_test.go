package main

import (
	"io"
	"testing"

	"github.com/bpa-infra/bpa-infra/internal/stacktest"
)

// BenchmarkPlan runs the whole offline plan for each stack: loading the stack
// files, running the program under the mock and rendering the text plan.
func BenchmarkPlan(b *testing.B) {
	root := stacktest.Root(b)
	for _, stack := range stacktest.Stacks(b) {
		b.Run(stack, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if code := run([]string{"--stack", stack, "--dir", root}, io.Discard, io.Discard); code != 0 {
					b.Fatalf("plan --stack %s exited %d", stack, code)
				}
			}
		})
	}
}
