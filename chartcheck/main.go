// Command chartcheck holds a real BPA chart to the values the program
// wires into it. The chart is not public and Helm silently drops values a
// chart never reads, so a release can "succeed" on the chart's defaults:
// chartcheck loads the chart (a directory or .tgz) with Helm's own library,
// renders it with the stack's bpa:chartValuePaths and bpa:helmValues, and
// reports every wired value path the chart never reads, every render error,
// and whether bpa-postrender finds the ingress controller.
//
//	cd chartcheck && go run . --dir .. --stack prod --chart /path/to/bpa-helm-chart
//
// It is a module of its own so that Helm's library stays out of the
// program's build. Exit 1 on any finding, 2 on bad usage.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/bpa-infra/bpa-infra/internal/config"
	"github.com/bpa-infra/bpa-infra/internal/harness"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("chartcheck", flag.ContinueOnError)
	flags.SetOutput(stderr)
	dir := flags.String("dir", "..", "directory holding Pulumi.yaml")
	stack := flags.String("stack", "", "stack whose chart settings to check")
	chartPath := flags.String("chart", "", "the BPA chart: a directory or a .tgz")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if *stack == "" || *chartPath == "" || flags.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: chartcheck --stack <stack> --chart <path> [--dir <project>]")
		return 2
	}
	opts, err := harness.LoadStack(*dir, *stack)
	if err != nil {
		fmt.Fprintln(stderr, "chartcheck:", err)
		return 1
	}
	cfg, err := config.ParseSource(*stack, opts.Source())
	if err != nil {
		fmt.Fprintf(stderr, "chartcheck: stack %s: %v\n", *stack, err)
		return 1
	}
	w := cfg.Workload
	rep, err := Check(*chartPath, Release{Name: w.ReleaseName, Namespace: w.Namespace, Paths: w.ValuePaths, Extra: w.Values})
	if err != nil {
		fmt.Fprintln(stderr, "chartcheck:", err)
		return 1
	}
	write(stdout, rep)
	if !rep.OK() {
		return 1
	}
	return 0
}

func write(w io.Writer, rep *Report) {
	fmt.Fprintf(w, "Chart %s\n", rep.Chart)
	if rep.RenderError != "" {
		fmt.Fprintf(w, "  does not render: %s\n", rep.RenderError)
	}
	if rep.PostRenderError != "" {
		fmt.Fprintf(w, "  bpa-postrender: %s\n", rep.PostRenderError)
	}
	for _, f := range rep.Unread {
		fmt.Fprintf(w, "  never reads %s (wired as %s): set bpa:chartValuePaths.%s to where the chart takes it, or \"\"\n", f.Path, f.Fact, f.Fact)
	}
	if rep.OK() {
		fmt.Fprintln(w, "  reads every wired value; renders; the ingress controller gets the default certificate")
	}
}
