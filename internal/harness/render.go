package harness

import (
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Markers that stand in for values a preview cannot or must not show; the
// same words `pulumi preview --json` prints.
const (
	SecretMarker  = "[secret]"
	UnknownMarker = "[unknown]"
)

// Plain turns a property value into plain Go data (maps, slices, strings,
// numbers, bools) that is safe to print: secrets become SecretMarker and
// values not known until deployment become UnknownMarker. Never print a
// PropertyValue through Mappable(): it exposes secrets' plain text.
func Plain(v resource.PropertyValue) any { return plain(v, false) }

// Reveal is Plain with secrets opened, for tests that must check what a
// secret holds. Never print its result.
func Reveal(v resource.PropertyValue) any { return plain(v, true) }

func plain(v resource.PropertyValue, reveal bool) any {
	switch {
	case v.IsSecret() && reveal:
		return plain(v.SecretValue().Element, reveal)
	case v.IsSecret():
		return SecretMarker
	case v.IsComputed():
		return UnknownMarker
	case v.IsOutput():
		o := v.OutputValue()
		if o.Secret && !reveal {
			return SecretMarker
		}
		if !o.Known {
			return UnknownMarker
		}
		return plain(o.Element, reveal)
	case v.IsNull():
		return nil
	case v.IsBool():
		return v.BoolValue()
	case v.IsNumber():
		return v.NumberValue()
	case v.IsString():
		return v.StringValue()
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = plain(e, reveal)
		}
		return out
	case v.IsObject():
		return plainMap(v.ObjectValue(), reveal)
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN)
	case v.IsAsset():
		a := v.AssetValue()
		return map[string]any{"asset": firstNonEmpty(a.Path, a.URI, a.Hash)}
	case v.IsArchive():
		a := v.ArchiveValue()
		return map[string]any{"archive": firstNonEmpty(a.Path, a.URI, a.Hash)}
	}
	return UnknownMarker
}

// PlainMap is Plain for a whole property map.
func PlainMap(m resource.PropertyMap) map[string]any { return plainMap(m, false) }

func plainMap(m resource.PropertyMap, reveal bool) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[string(k)] = plain(v, reveal)
	}
	return out
}

// Revealed returns the resource's inputs with secrets opened (tests only).
func (r *Resource) Revealed() map[string]any { return plainMap(r.Inputs, true) }

// Plain returns the resource's inputs as safe plain data.
func (r *Resource) Plain() map[string]any { return PlainMap(r.Inputs) }

// SortedKeys returns a map's keys in order, for stable output.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
