// Command readme rewrites README.md's generated sections (internal/readme)
// in the project directory it runs in: `go generate ./...` runs it.
package main

import (
	"fmt"
	"os"

	"github.com/bpa-infra/bpa-infra/internal/readme"
)

func main() {
	if err := run("."); err != nil {
		fmt.Fprintf(os.Stderr, "readme: %v\n", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	text, err := os.ReadFile(dir + "/README.md")
	if err != nil {
		return err
	}
	sections, err := readme.Sections(dir)
	if err != nil {
		return err
	}
	updated, err := readme.Apply(string(text), sections)
	if err != nil {
		return err
	}
	return os.WriteFile(dir+"/README.md", []byte(updated), 0o644) //nolint:gosec // README.md is world-readable documentation
}
