// Command bpa is the entry point the Pulumi CLI builds and runs (see `main`
// in Pulumi.yaml).
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	bpa "github.com/bpa-infra/bpa-infra"
)

func main() { pulumi.Run(bpa.Program) }
