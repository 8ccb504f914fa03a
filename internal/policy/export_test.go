package policy

// ReachesOut reports whether the rule, judging the resource urn, reads
// another resource than it and its providers.
func ReachesOut(rule *Rule, p *Plan, urn string) bool {
	rule.Judge(p, urn)
	return p.reachedOut
}
