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

// The kinds Pulumi.yaml declares keys with.
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

// fail records a problem with a key. A message never shows a value the
// stack marks secret, whatever the check quoted: it reads [secret].
func (r *reader) fail(key, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	q := r.qualify(key)
	if raw, ok := r.lookup(q); ok && r.isSecret(q) {
		msg = redact(msg, raw)
	}
	r.errs = append(r.errs, &KeyError{Key: q, Msg: msg})
}

// redact replaces a secret's text, as written and as quoted, in a message.
func redact(msg, secret string) string {
	for _, v := range []string{strconv.Quote(secret), strconv.Quote(strings.TrimSpace(secret)), secret, strings.TrimSpace(secret)} {
		if strings.TrimSpace(v) != "" && v != `""` {
			msg = strings.ReplaceAll(msg, v, "[secret]")
		}
	}
	return msg
}

// raw is a key's text. Its default is Pulumi.yaml's, the only place a
// default lives: the CLI (ValidateStackConfigAndApplyProjectConfig) and the
// offline harness hand it over as the value of every key the stack leaves
// out, so a key missing here has none.
func (r *reader) raw(key string, kind KeyKind, required bool) (string, bool) {
	r.specs = append(r.specs, KeySpec{Key: r.qualify(key), Kind: kind, Required: required})
	v, ok := r.lookup(r.qualify(key))
	switch {
	case !ok && required:
		r.fail(key, "is required but not set (pulumi config set %s <value>)", key)
	case !ok:
		r.fail(key, "is not set and Pulumi.yaml gives it no default")
	}
	return v, ok
}

func (r *reader) requireString(key string) string {
	v, ok := r.raw(key, KindString, true)
	r.checkText(key, v, ok)
	if ok && strings.TrimSpace(v) == "" {
		r.fail(key, "is empty; it needs a value (pulumi config set %s <value>)", key)
	}
	return strings.TrimSpace(v)
}

func (r *reader) string(key string) string {
	v, ok := r.raw(key, KindString, false)
	r.checkText(key, v, ok)
	return strings.TrimSpace(v)
}

// checkText refuses a list or an object where Pulumi.yaml declares a
// string: the language host hands structured values over as JSON.
func (r *reader) checkText(key, v string, ok bool) {
	t := strings.TrimSpace(v)
	if ok && (strings.HasPrefix(t, "[") || strings.HasPrefix(t, "{")) && json.Valid([]byte(t)) {
		r.fail(key, "is a list or an object; Pulumi.yaml declares it string")
	}
}

// optionalString is a string key whose default, "", means "not set": the
// CLI requires every declared key without a default.
func (r *reader) optionalString(key string) string {
	r.specs = append(r.specs, KeySpec{Key: r.qualify(key), Kind: KindString})
	v, ok := r.lookup(r.qualify(key))
	r.checkText(key, v, ok)
	return strings.TrimSpace(v)
}

// secret marks a key that must be set with --secret; its value is never
// returned here, only whether it is set. A required one is declared secret
// in Pulumi.yaml (no default); an optional one defaults to "", unset.
func (r *reader) secret(key string, isSecret func(string) bool, required bool) bool {
	r.specs = append(r.specs, KeySpec{Key: r.qualify(key), Kind: KindString, Required: required, Secret: required, Encrypted: true})
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

func (r *reader) int(key string) int {
	v, ok := r.raw(key, KindInteger, false)
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		r.fail(key, "%q is not an integer (Pulumi.yaml declares it integer)", v)
	}
	return n
}

func (r *reader) bool(key string) bool {
	v, ok := r.raw(key, KindBoolean, false)
	if !ok {
		return false
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		r.fail(key, "%q is not a boolean (true or false; Pulumi.yaml declares it boolean)", v)
	}
	return b
}

func (r *reader) strings(key string, required bool) []string {
	v, ok := r.raw(key, KindArray, required)
	if !ok {
		return nil
	}
	out := []string{}
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		r.fail(key, "%q is not a list of strings (Pulumi.yaml declares it array of string)", v)
		return nil
	}
	return out
}

// object decodes a structured key into out, rejecting unknown fields so a
// misspelt setting is an error rather than a silent default.
func (r *reader) object(key string, out any) bool {
	v, ok := r.raw(key, KindObject, false)
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

// checkDeclared refuses every key of the project's namespace the program
// does not read, naming the declared key closest to it: a misspelt setting
// would otherwise fall back to its default unnoticed.
func (r *reader) checkDeclared(keys []string) {
	declared := map[string]bool{}
	var names []string
	for _, s := range r.specs {
		declared[s.Key] = true
		names = append(names, strings.TrimPrefix(s.Key, r.namespace+":"))
	}
	for _, k := range keys {
		name, ok := strings.CutPrefix(k, r.namespace+":")
		if !ok || declared[k] {
			continue
		}
		r.errs = append(r.errs, &KeyError{Key: k, Msg: fmt.Sprintf("is not a setting of this program (Pulumi.yaml declares every one); did you mean %s:%s?", r.namespace, closest(name, names))})
	}
}

// closest is the candidate with the fewest single-character edits from s.
func closest(s string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); bestDist < 0 || d < bestDist || d == bestDist && c < best {
			best, bestDist = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
