package config

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// secretTexts are the plain texts of every value the stack stores
// encrypted, whatever Pulumi.yaml declares, leaves of lists and objects
// included. Texts this short match too much to be worth hiding.
func (r *reader) secretTexts() []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			if t := strings.TrimSpace(v); len(t) >= 3 {
				out = append(out, t)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	for _, s := range r.specs {
		raw, ok := r.lookup(s.Key)
		if !ok || !r.isSecret(s.Key) {
			continue
		}
		var structured any
		if (s.Kind == KindArray || s.Kind == KindObject) && json.Unmarshal([]byte(raw), &structured) == nil {
			walk(structured)
			continue
		}
		walk(raw)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// SecretTransform marks as secret every resource input that holds a value
// the stack stores encrypted: a key set with `pulumi config set --secret`
// stays secret in state and in the plan even where the program reads it as
// plain text (an owner in tags, an organization id, a host name). Register
// it once as a stack transform, before any resource.
func (c *Config) SecretTransform() pulumi.ResourceTransform {
	secrets := c.secrets
	return func(_ context.Context, args *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
		if len(secrets) == 0 {
			return nil
		}
		props, changed := hideSecrets(args.Props, secrets)
		if !changed {
			return nil
		}
		return &pulumi.ResourceTransformResult{Props: props.(pulumi.Map), Opts: args.Opts}
	}
}

// hideSecrets returns v with every string holding one of secrets made a
// secret, and whether anything changed.
func hideSecrets(v pulumi.Input, secrets []string) (pulumi.Input, bool) {
	switch v := v.(type) {
	case pulumi.String:
		if HoldsSecret(string(v), secrets) {
			return pulumi.ToSecret(v).(pulumi.StringOutput), true
		}
	case pulumi.Map:
		out, changed := pulumi.Map{}, false
		for k, e := range v {
			var c bool
			out[k], c = hideSecrets(e, secrets)
			changed = changed || c
		}
		return out, changed
	case pulumi.Array:
		out, changed := pulumi.Array{}, false
		for _, e := range v {
			n, c := hideSecrets(e, secrets)
			out, changed = append(out, n), changed || c
		}
		return out, changed
	}
	return v, false
}

// HoldsSecret reports whether s contains one of secrets.
func HoldsSecret(s string, secrets []string) bool {
	for _, secret := range secrets {
		if strings.Contains(s, secret) {
			return true
		}
	}
	return false
}
