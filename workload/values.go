package workload

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Fact is one thing the program knows that the BPA chart needs.
type Fact string

// The facts the program wires into the chart. The BPA chart is not public:
// the only facts of its interface are the source guide's environment names
// (PG_ROOT_DATABASE, PG_INITDB_ROOT_USERNAME, PG_INITDB_ROOT_PASSWORD,
// AUTH_DB_*, WFE_DB_*) and ingress_controller.create. Where each fact goes
// in the chart's values is therefore stack config (bpa:chartValuePaths),
// with these defaults; `chartcheck` (its own module) renders a real chart
// with them and reports every path the chart never reads.
const (
	FactIngressControllerCreate Fact = "ingressControllerCreate"
	FactPostgresHost            Fact = "postgresHost"
	FactPostgresPort            Fact = "postgresPort"
	FactPostgresSSLMode         Fact = "postgresSslMode"
	FactRootDatabase            Fact = "rootDatabase"
	FactRootUser                Fact = "rootUser"
	FactRootPassword            Fact = "rootPassword"
	FactKongDatabase            Fact = "kongDatabase"
	FactKongUser                Fact = "kongUser"
	FactKongPassword            Fact = "kongPassword"
	FactCamundaDatabase         Fact = "camundaDatabase"
	FactCamundaUser             Fact = "camundaUser"
	FactCamundaPassword         Fact = "camundaPassword"
	FactMongoURI                Fact = "mongoUri"
	FactImageRegistry           Fact = "imageRegistry"
)

// DefaultValuePaths are where each fact goes unless the stack says
// otherwise: the guide's names where it gives one, the fact's own name
// upper-cased in the guide's style where it does not (marked "not in the
// guide" in the README's table, to be checked against the chart). An empty
// path wires nothing.
var DefaultValuePaths = map[Fact]string{
	FactIngressControllerCreate: "ingress_controller.create",
	FactRootDatabase:            "PG_ROOT_DATABASE",
	FactRootUser:                "PG_INITDB_ROOT_USERNAME",
	FactRootPassword:            "PG_INITDB_ROOT_PASSWORD",
	FactKongDatabase:            "AUTH_DB_NAME",
	FactKongUser:                "AUTH_DB_USER",
	FactKongPassword:            "AUTH_DB_PASSWORD",
	FactCamundaDatabase:         "WFE_DB_NAME",
	FactCamundaUser:             "WFE_DB_USER",
	FactCamundaPassword:         "WFE_DB_PASSWORD",
	FactPostgresHost:            "PG_HOST",
	FactPostgresPort:            "PG_PORT",
	FactPostgresSSLMode:         "PG_SSLMODE",
	FactMongoURI:                "MONGODB_URI",
	FactImageRegistry:           "global.imageRegistry",
}

// GuideFacts are the facts whose default path the source guide names.
var GuideFacts = []Fact{
	FactIngressControllerCreate, FactRootDatabase, FactRootUser, FactRootPassword,
	FactKongDatabase, FactKongUser, FactKongPassword, FactCamundaDatabase, FactCamundaUser, FactCamundaPassword,
}

// SecretFacts carry credentials: Pulumi keeps them secret in state and in
// the release's inputs.
var SecretFacts = []Fact{FactRootPassword, FactKongPassword, FactCamundaPassword, FactMongoURI}

var valuePathPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$`)

// ValuePaths resolves the stack's overrides over the defaults and checks
// them: known facts, well-formed dotted paths, no path used twice or inside
// another.
func ValuePaths(overrides map[string]string) (map[Fact]string, error) {
	out := maps.Clone(DefaultValuePaths)
	var errs []string
	for _, k := range slices.Sorted(maps.Keys(overrides)) {
		if _, ok := DefaultValuePaths[Fact(k)]; !ok {
			errs = append(errs, fmt.Sprintf("%q is not a wired fact; they are %s", k, strings.Join(factNames(), ", ")))
			continue
		}
		out[Fact(k)] = overrides[k]
	}
	byPath := map[string]Fact{}
	for _, f := range slices.Sorted(maps.Keys(out)) {
		p := out[f]
		if p == "" {
			continue
		}
		if !valuePathPattern.MatchString(p) {
			errs = append(errs, fmt.Sprintf("%s: %q is not a dotted values path such as global.imageRegistry", f, p))
			continue
		}
		for q, g := range byPath {
			if q == p || strings.HasPrefix(p, q+".") || strings.HasPrefix(q, p+".") {
				errs = append(errs, fmt.Sprintf("%s: %q collides with %s's %q", f, p, g, q))
			}
		}
		byPath[p] = f
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return out, nil
}

func factNames() []string {
	var names []string
	for f := range DefaultValuePaths {
		names = append(names, string(f))
	}
	slices.Sort(names)
	return names
}

// Place puts each fact's value at its path in a values tree; facts with no
// path or no value are left out.
func Place(paths map[Fact]string, facts map[Fact]any) map[string]any {
	values := map[string]any{}
	for _, f := range slices.Sorted(maps.Keys(facts)) {
		p := paths[f]
		if p == "" || facts[f] == nil {
			continue
		}
		keys := strings.Split(p, ".")
		node := values
		for _, k := range keys[:len(keys)-1] {
			next, ok := node[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				node[k] = next
			}
			node = next
		}
		node[keys[len(keys)-1]] = facts[f]
	}
	return values
}

// MergeValues lays extra over base, key by key through nested maps. Extra
// (stack config) may set no credential, at any depth, and may not replace
// a secret fact the program wires (a plain-text MONGODB_URI in helm values
// would undo its secrecy).
func MergeValues(base, extra map[string]any, paths map[Fact]string) (map[string]any, error) {
	if p := credentialKey(extra, ""); p != "" {
		return nil, fmt.Errorf("%s: passwords reach the chart only from the program", p)
	}
	for _, f := range SecretFacts {
		if p := paths[f]; p != "" && hasPath(extra, p) {
			return nil, fmt.Errorf("%s: the program wires %s there, as a secret", p, f)
		}
	}
	return merge(base, extra), nil
}

func merge(base, extra map[string]any) map[string]any {
	out := make(map[string]any, len(base))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		sub, isMap := v.(map[string]any)
		baseSub, baseIsMap := out[k].(map[string]any)
		if isMap && baseIsMap {
			out[k] = merge(baseSub, sub)
			continue
		}
		out[k] = v
	}
	return out
}

// credentialKey is the dotted path of the first key that names a password.
func credentialKey(m map[string]any, prefix string) string {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if strings.Contains(strings.ToLower(k), "password") {
			return prefix + k
		}
		if sub, ok := m[k].(map[string]any); ok {
			if p := credentialKey(sub, prefix+k+"."); p != "" {
				return p
			}
		}
	}
	return ""
}

func hasPath(m map[string]any, path string) bool {
	keys := strings.Split(path, ".")
	for i, k := range keys {
		v, ok := m[k]
		if !ok {
			return false
		}
		if i == len(keys)-1 {
			return true
		}
		if m, ok = v.(map[string]any); !ok {
			return false
		}
	}
	return false
}
