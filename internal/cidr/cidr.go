// Package cidr carves subnets out of an IPv4 range and checks source ranges.
package cidr

import (
	"fmt"
	"net/netip"
)

// Carve allocates, for each size in sizes (a prefix length), count subnets
// of that size, one tier after another, each aligned to its own size. It
// fails when the tiers do not fit inside base.
func Carve(base netip.Prefix, sizes []int, count int) ([][]netip.Prefix, error) {
	base = base.Masked()
	next := toUint(base.Addr())
	end := next + blockSize(base.Bits())
	tiers := make([][]netip.Prefix, len(sizes))
	for t, bits := range sizes {
		if bits < base.Bits() || bits > 32 {
			return nil, fmt.Errorf("a /%d subnet does not fit in a /%d range", bits, base.Bits())
		}
		size := blockSize(bits)
		for range count {
			next = (next + size - 1) / size * size // align to the subnet's own size
			if next+size > end {
				return nil, fmt.Errorf("out of addresses after %d subnets", countAll(tiers))
			}
			tiers[t] = append(tiers[t], netip.PrefixFrom(fromUint(next), bits))
			next += size
		}
	}
	return tiers, nil
}

func blockSize(bits int) uint64 { return 1 << (32 - bits) }

func toUint(a netip.Addr) uint64 {
	b := a.As4()
	return uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
}

// fromUint takes an address Carve has kept inside its IPv4 range, so each
// byte conversion keeps exactly one octet.
func fromUint(v uint64) netip.Addr {
	//nolint:gosec // G115: v < 2^32 (Carve stops at the range's end); byte() picks an octet.
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func countAll(tiers [][]netip.Prefix) int {
	n := 0
	for _, t := range tiers {
		n += len(t)
	}
	return n
}

// CheckSources checks a list of source ranges for a security group or an
// API endpoint: each an IPv4 CIDR block without host bits, listed once, and
// the whole internet only where anyone may legitimately connect. It returns
// one message per problem, naming the range.
func CheckSources(cidrs []string, allowAnywhere bool) []string {
	var problems []string
	seen := map[string]bool{}
	for _, s := range cidrs {
		p, err := netip.ParsePrefix(s)
		switch {
		case err != nil || !p.Addr().Is4():
			problems = append(problems, fmt.Sprintf("%q is not an IPv4 CIDR block", s))
		case p != p.Masked():
			problems = append(problems, fmt.Sprintf("%q has host bits set; did you mean %q?", s, p.Masked()))
		case p.Bits() == 0 && !allowAnywhere:
			problems = append(problems, fmt.Sprintf("%q opens the Kubernetes API to the whole internet; list the ranges administrators and CI come from", s))
		case seen[s]:
			problems = append(problems, fmt.Sprintf("%q is listed twice", s))
		}
		seen[s] = true
	}
	return problems
}
