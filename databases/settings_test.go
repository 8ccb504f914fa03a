package databases_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bpa-infra/bpa-infra/internal/stacktest"
)

// Per-stack expectations come from the stack's settings as the CLI hands
// them to the program (stacktest.Setting), never from a table keyed by the
// stack's name nor through internal/config: a stack added beside the
// committed ones is checked without a code change.

// unrotated is the rotation label of a credential bpa:credentialsRotation
// omits, as Pulumi.yaml documents it ("an omitted one is \"initial\"").
const unrotated = "initial"

// rotationLabel is a credential's label in bpa:credentialsRotation
// (postgresRoot, postgresKong, postgresCamunda, mongoUser).
func rotationLabel(t *testing.T, stack, credential string) string {
	t.Helper()
	var labels map[string]string
	if err := json.Unmarshal([]byte(stacktest.Setting(t, stack, "bpa:credentialsRotation")), &labels); err != nil {
		t.Fatalf("stack %s: bpa:credentialsRotation is not an object of labels: %v", stack, err)
	}
	if l, ok := labels[credential]; ok {
		return l
	}
	return unrotated
}

// atlasRegion is a stack's bpa:region in Atlas's format ("us-west-2" is
// US_WEST_2).
func atlasRegion(t *testing.T, stack string) string {
	t.Helper()
	return strings.ToUpper(strings.ReplaceAll(stacktest.Setting(t, stack, "bpa:region"), "-", "_"))
}

// recoveryWindow is the Secrets Manager recovery window of a stack's
// secrets: 30 days where bpa:protect is true, none (deleted at once, so a
// throw-away stack can be recreated under the same names) elsewhere.
func recoveryWindow(t *testing.T, stack string) float64 {
	t.Helper()
	if stacktest.Protected(t, stack) {
		return 30
	}
	return 0
}
