package config

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Lookup returns the raw value of a fully qualified config key ("bpa:vpcCidr"),
// as the Pulumi language host hands it to the program: scalars as text,
// arrays and objects as JSON.
type Lookup func(key string) (string, bool)

// KeyKind is the Pulumi.yaml type a key is declared with.
type KeyKind string

const (
	KindString  KeyKind = "string"
	KindInteger KeyKind = "integer"
	KindBoolean KeyKind = "boolean"
	KindArray   KeyKind = "array"
	KindObject  KeyKind = "object"
)

// KeySpec records how the program reads one key, so tests can hold Pulumi.yaml
// to the same types and defaults.
type KeySpec struct {
	Key      string
	Kind     KeyKind
	Default  any // nil when the key is required or has no default
	Required bool
	// Secret keys are declared `secret: true` in Pulumi.yaml: required, and
	// refused by the CLI unless set encrypted. Encrypted keys, secret ones
	// and the optional ones that default to "", must be set with --secret.
	Secret    bool
	Encrypted bool
}

// reader decodes keys one by one and collects every problem instead of
// stopping at the first, so a stack author sees all of them at once.
type reader struct {
	namespace string
	lookup    Lookup
	// isSecret reports whether a fully qualified key is stored encrypted.
	isSecret func(string) bool
	// env reads the process environment (os.LookupEnv), for the few
	// settings that belong to the machine running Pulumi, not to the stack.
	env   Lookup
	errs  []error
	specs []KeySpec
}

func (r *reader) qualify(key string) string { return r.namespace + ":" + key }

func (r *reader) fail(key, format string, args ...any) {
	r.errs = append(r.errs, &KeyError{Key: r.qualify(key), Msg: fmt.Sprintf(format, args...)})
}

func (r *reader) raw(key string, kind KeyKind, def any, required bool) (string, bool) {
	r.specs = append(r.specs, KeySpec{Key: r.qualify(key), Kind: kind, Default: def, Required: required})
	v, ok := r.lookup(r.qualify(key))
	if !ok && required {
		r.fail(key, "is required but not set (pulumi config set %s <value>)", key)
	}
	return v, ok
}

func (r *reader) requireString(key string) string {
	v, _ := r.raw(key, KindString, nil, true)
	return strings.TrimSpace(v)
}

func (r *reader) string(key, def string) string {
	if v, ok := r.raw(key, KindString, def, false); ok {
		return strings.TrimSpace(v)
	}
	return def
}

// optionalString is a string key whose default, "", means "not set": the
// CLI requires every declared key without a default.
func (r *reader) optionalString(key string) string {
	v, _ := r.raw(key, KindString, "", false)
	return strings.TrimSpace(v)
}

// secret marks a key that must be set with --secret; its value is never
// returned here, only whether it is set. A required one is declared secret
// in Pulumi.yaml (no default); an optional one defaults to "", unset.
func (r *reader) secret(key string, isSecret func(string) bool, required bool) bool {
	spec := KeySpec{Key: r.qualify(key), Kind: KindString, Required: required, Secret: required, Encrypted: true}
	if !required {
		spec.Default = ""
	}
	r.specs = append(r.specs, spec)
	v, ok := r.lookup(r.qualify(key))
	set := ok && (strings.TrimSpace(v) != "" || isSecret(r.qualify(key)))
	switch {
	case !set && required && ok:
		r.fail(key, "is empty")
	case !set && required:
		r.fail(key, "is required but not set (pulumi config set --secret %s < file)", key)
	case set && !isSecret(r.qualify(key)):
		r.fail(key, "must be stored encrypted: set it with pulumi config set --secret")
	case set && strings.TrimSpace(v) == "":
		r.fail(key, "is empty")
	}
	return set
}

func (r *reader) int(key string, def int) int {
	v, ok := r.raw(key, KindInteger, def, false)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		r.fail(key, "%q is not an integer", v)
		return def
	}
	return n
}

func (r *reader) bool(key string, def bool) bool {
	v, ok := r.raw(key, KindBoolean, def, false)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		r.fail(key, "%q is not a boolean (true or false)", v)
		return def
	}
	return b
}

func (r *reader) strings(key string, def []string, required bool) []string {
	var declared any
	if def != nil {
		declared = def
	}
	v, ok := r.raw(key, KindArray, declared, required)
	if !ok {
		return def
	}
	var out []string
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		r.fail(key, "%q is not a list of strings", v)
		return def
	}
	return out
}

// object decodes a structured key into out, rejecting unknown fields so a
// misspelt setting is an error rather than a silent default.
func (r *reader) object(key string, out any) bool {
	v, ok := r.raw(key, KindObject, map[string]any{}, false)
	if !ok {
		return false
	}
	dec := json.NewDecoder(strings.NewReader(v))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		r.fail(key, "is not a valid object: %v", err)
		return false
	}
	return true
}

// KeyError is one invalid or missing setting.
type KeyError struct {
	Key string
	Msg string
}

func (e *KeyError) Error() string { return e.Key + ": " + e.Msg }
