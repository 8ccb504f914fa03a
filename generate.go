package bpa

// The README's configuration reference and figures come from Pulumi.yaml
// and the offline plan of every stack.
//go:generate go run ./cmd/readme
