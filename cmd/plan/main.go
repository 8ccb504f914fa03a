// Command plan renders a stack's whole plan offline: it runs the program
// under the Pulumi SDK's mock monitor with the stack's real Pulumi.yaml and
// Pulumi.<stack>.yaml, as a preview would, and prints what would be created.
//
//	go run ./cmd/plan --stack dev [--json] [--summary]
//
// Secure config values are never decrypted; they stand in as secrets.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	bpa "github.com/bpa-infra/bpa-infra"
	"github.com/bpa-infra/bpa-infra/internal/harness"
	"github.com/bpa-infra/bpa-infra/internal/plan"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("plan", flag.ContinueOnError)
	flags.SetOutput(stderr)
	stack := flags.String("stack", "", "stack to render (reads Pulumi.<stack>.yaml)")
	dir := flags.String("dir", ".", "directory holding Pulumi.yaml")
	asJSON := flags.Bool("json", false, "print the plan as `pulumi preview --json` does")
	summary := flags.Bool("summary", false, "print only the resource tree, without inputs")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if *stack == "" {
		fmt.Fprintln(stderr, "plan: --stack is required (for example --stack dev)")
		return 2
	}
	opts, err := harness.LoadStack(*dir, *stack)
	if err != nil {
		fmt.Fprintf(stderr, "plan: %v\n", err)
		return 1
	}
	rec, err := harness.Run(bpa.Program, opts)
	if err != nil {
		fmt.Fprintf(stderr, "plan: stack %s: %v\n", *stack, err)
		return 1
	}
	p := plan.Build(rec)
	if *asJSON {
		err = plan.WriteJSON(stdout, p)
	} else {
		err = plan.WriteText(stdout, rec, p, !*summary)
	}
	if err != nil {
		fmt.Fprintf(stderr, "plan: %v\n", err)
		return 1
	}
	return 0
}
