package cidr_test

import (
	"net/netip"
	"testing"

	"github.com/bpa-infra/bpa-infra/internal/cidr"
)

func TestCarveAlignsEachTierToItsOwnSize(t *testing.T) {
	t.Parallel()
	tiers, err := cidr.Carve(netip.MustParsePrefix("10.1.0.0/16"), []int{24, 20}, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"10.1.0.0/24", "10.1.1.0/24"}, {"10.1.16.0/20", "10.1.32.0/20"}}
	for i := range want {
		for j := range want[i] {
			if got := tiers[i][j].String(); got != want[i][j] {
				t.Errorf("tier %d subnet %d = %s, want %s", i, j, got, want[i][j])
			}
		}
	}
}

func TestCarveRefusesWhatDoesNotFit(t *testing.T) {
	t.Parallel()
	if _, err := cidr.Carve(netip.MustParsePrefix("10.1.0.0/24"), []int{25}, 3); err == nil {
		t.Error("three /25 in a /24 accepted")
	}
	if _, err := cidr.Carve(netip.MustParsePrefix("10.1.0.0/24"), []int{23}, 1); err == nil {
		t.Error("a /23 in a /24 accepted")
	}
}
