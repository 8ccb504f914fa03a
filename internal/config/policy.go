package config

import (
	"maps"
	"regexp"
	"slices"
	"strings"
)

// PolicyConfig is what a stack says about the policy rules of
// internal/policy: advisory rules it waives, each with the reason a reviewer
// reads. Whether a name is a rule, and an advisory one, is checked where the
// rules run (the offline plan and the tests), since the rules are not part
// of the deployed program.
type PolicyConfig struct {
	Waivers map[string]string
}

var ruleNamePattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// minWaiverReason keeps "n/a" and "ok" out of a reviewed waiver.
const minWaiverReason = 15

func readPolicy(r *reader) PolicyConfig {
	const key = "policyWaivers"
	var c PolicyConfig
	r.object(key, &c.Waivers)
	for _, name := range slices.Sorted(maps.Keys(c.Waivers)) {
		if !ruleNamePattern.MatchString(name) {
			r.fail(key, "%q is not a rule name (lower-case words joined by hyphens)", name)
		}
		if len(strings.TrimSpace(c.Waivers[name])) < minWaiverReason {
			r.fail(key, "the waiver of %q needs a reason a reviewer can judge (at least %d characters)", name, minWaiverReason)
		}
	}
	return c
}
