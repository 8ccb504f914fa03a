package stacktest

import (
	"strconv"
	"strings"
)

// Dig follows a dotted path through plain maps and slices.
func Dig(v any, path string) any {
	for _, part := range strings.Split(path, ".") {
		switch cur := v.(type) {
		case map[string]any:
			v = cur[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(cur) {
				return nil
			}
			v = cur[i]
		default:
			return nil
		}
	}
	return v
}
