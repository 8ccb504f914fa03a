package config_test

import (
	"strings"
	"testing"
)

func TestRegistrySettingsAreValidated(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		key, value, says string
	}{
		"no images":         {"bpa:ecrImages", `[]`, "lists no image"},
		"bad image name":    {"bpa:ecrImages", `["BPA/Core"]`, `"BPA/Core"`},
		"duplicate image":   {"bpa:ecrImages", `["a","a"]`, "twice"},
		"keep zero":         {"bpa:ecrKeepTaggedImages", "0", "between 1 and 1000"},
		"expiry zero":       {"bpa:ecrUntaggedExpiryDays", "0", "at least 1"},
		"immutable garbage": {"bpa:ecrImmutableTags", "perhaps", "not a boolean"},
	}
	keyCases := map[string]keyErrorCase{}
	for name, tc := range cases {
		keyCases[name] = keyErrorCase{set(map[string]string{tc.key: tc.value}), tc.key, tc.says}
	}
	expectKeyErrors(t, keyCases)
	cfg := minimal()
	delete(cfg, "bpa:ecrImages")
	if _, err := parse(cfg); err == nil || !strings.Contains(err.Error(), "bpa:ecrImages: is required") {
		t.Errorf("missing ecrImages: %v", err)
	}
}
