package harness

import (
	"strconv"
	"strings"
)

// OfType returns the resources of one type token in URN order.
func (rec *Recording) OfType(typ string) []*Resource {
	var out []*Resource
	for _, r := range rec.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// Find returns the resource of the given type and logical name, or nil.
func (rec *Recording) Find(typ, name string) *Resource {
	for _, r := range rec.Resources {
		if r.Type == typ && r.Name == name {
			return r
		}
	}
	return nil
}

// ByURN returns the resource with that URN, or nil.
func (rec *Recording) ByURN(urn string) *Resource {
	for _, r := range rec.Resources {
		if r.URN == urn {
			return r
		}
	}
	return nil
}

// Children returns the resources whose parent is urn.
func (rec *Recording) Children(urn string) []*Resource {
	var out []*Resource
	for _, r := range rec.Resources {
		if r.Parent == urn {
			out = append(out, r)
		}
	}
	return out
}

// DependsOn reports whether the engine makes r wait for on: r or one of its
// ancestors lists on, or a component that contains on, as a dependency.
func (rec *Recording) DependsOn(r, on *Resource) bool {
	for cur := r; cur != nil; cur = rec.ByURN(cur.Parent) {
		for _, d := range cur.Dependencies {
			if rec.within(on, d) {
				return true
			}
		}
	}
	return false
}

// within reports whether r is the resource urn or one of its descendants.
func (rec *Recording) within(r *Resource, urn string) bool {
	for cur := r; cur != nil; cur = rec.ByURN(cur.Parent) {
		if cur.URN == urn {
			return true
		}
	}
	return false
}

// Dig returns the value at a dotted path of plain data ("ebs.encrypted",
// "ingress.0.fromPort"), or nil where the path does not exist;
// UnknownMarker where it runs through a value not known until apply.
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
		case string:
			// Within a value not known until apply, every part is unknown.
			if cur == UnknownMarker {
				return UnknownMarker
			}
			return nil
		default:
			return nil
		}
	}
	return v
}
