// Command bpa-postrender is the Helm post-renderer of the BPA release
// (bpa:helmPostRenderer): it reads the rendered chart on stdin and writes
// it to stdout with the ingress controller's default certificate set to the
// TLS secret the program manages (workload/postrender). Install it where
// `pulumi up` runs: go install ./cmd/bpa-postrender.
package main

import (
	"fmt"
	"os"

	"github.com/bpa-infra/bpa-infra/workload/postrender"
)

func main() {
	out, err := postrender.Apply(os.Stdin, postrender.TLSSecret)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bpa-postrender:", err)
		os.Exit(1)
	}
	if _, err := os.Stdout.Write(out); err != nil {
		fmt.Fprintln(os.Stderr, "bpa-postrender:", err)
		os.Exit(1)
	}
}
