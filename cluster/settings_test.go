package cluster_test

import (
	"strings"
	"testing"

	"github.com/bpa-infra/bpa-infra/internal/stacktest"
)

// The per-stack expectations of these tests come from each stack's
// settings as the CLI hands them to the program (stacktest.Setting), never
// from the stack's name, so a stack a platform engineer adds is checked
// against its own file.

// stackRegion is the stack's AWS region.
func stackRegion(t testing.TB, stack string) string {
	t.Helper()
	return stacktest.Setting(t, stack, "bpa:region")
}

// wafExpected reports whether the stack's load balancer is behind a web
// ACL: bpa:loadBalancerWaf on, or auto in a protected stack (Pulumi.yaml).
func wafExpected(t testing.TB, stack string) bool {
	t.Helper()
	switch waf := stacktest.Setting(t, stack, "bpa:loadBalancerWaf"); waf {
	case "on":
		return true
	case "off":
		return false
	case "auto":
		return stacktest.Protected(t, stack)
	default:
		t.Fatalf("stack %s: bpa:loadBalancerWaf %q is none of auto, on, off", stack, waf)
		return false
	}
}

// cidrLabel is a range as part of a logical name ("203-0-113-0-24").
func cidrLabel(c string) string { return strings.NewReplacer(".", "-", "/", "-").Replace(c) }

// nodeGroups is how many node groups (and launch templates) the stack has:
// the four BPA nodes', and the general one when bpa:generalNodeCount is
// above 0.
func nodeGroups(t testing.TB, stack string) int {
	t.Helper()
	if stacktest.SettingInt(t, stack, "bpa:generalNodeCount") > 0 {
		return 5
	}
	return 4
}
