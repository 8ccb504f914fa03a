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
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := minimal()
			cfg[tc.key] = tc.value
			_, err := parse(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.key+": ") || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("want error on %s saying %q, got %v", tc.key, tc.says, err)
			}
		})
	}
	cfg := minimal()
	delete(cfg, "bpa:ecrImages")
	if _, err := parse(cfg); err == nil || !strings.Contains(err.Error(), "bpa:ecrImages: is required") {
		t.Errorf("missing ecrImages: %v", err)
	}
}
