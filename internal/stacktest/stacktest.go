// Package stacktest runs the real program under the recording mock for the
// repository's stacks, for the tests of every component.
package stacktest

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	bpa "github.com/bpa-infra/bpa-infra"
	"github.com/bpa-infra/bpa-infra/internal/cloudfake"
	"github.com/bpa-infra/bpa-infra/internal/component"
	"github.com/bpa-infra/bpa-infra/internal/config"
	"github.com/bpa-infra/bpa-infra/internal/harness"
)

// Stacks are the stacks committed in the repository, from their
// Pulumi.<stack>.yaml files: every behaviour is checked against each, so
// a new customer's stack is tested without a code change.
func Stacks(t testing.TB) []string {
	t.Helper()
	names, err := harness.StackNames(Root(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no Pulumi.<stack>.yaml beside Pulumi.yaml")
	}
	return names
}

// The fixture stacks (harness.FixtureDir), so that the customers' stacks
// are data that tests check only by invariants. Lab and Live hold fixed
// values for the tests that pin them: each sets every key Pulumi.yaml
// declares but the secrets, so no pinned value follows a default. Minimal
// sets only what Pulumi.yaml cannot default, so the invariants hold for the
// defaults too.
const (
	// Lab is the cheap, unprotected shape: one NAT gateway, no interface
	// endpoints, short retention, no WAF, no general nodes.
	Lab = "lab"
	// Live is the protected production shape: a NAT gateway per zone,
	// interface endpoints, a year of logs, WAF, Multi-AZ, general nodes.
	Live = "live"
	// Minimal is Pulumi.yaml's defaults and the keys they cannot supply.
	Minimal = "minimal"
)

// Fixtures are every fixture stack.
var Fixtures = []string{Lab, Live, Minimal}

// EveryStack is every committed stack and every fixture: what invariants
// are checked against, so both shapes are covered whatever customers the
// repository holds.
func EveryStack(t testing.TB) []string {
	t.Helper()
	return append(Stacks(t), Fixtures...)
}

var (
	rootOnce sync.Once
	rootDir  string
	cache    sync.Map // key -> *result
)

type result struct {
	once sync.Once
	rec  *harness.Recording
	err  error
}

// Root is the repository directory holding Pulumi.yaml.
func Root(t testing.TB) string {
	rootOnce.Do(func() {
		dir, _ := os.Getwd()
		for dir != filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, "Pulumi.yaml")); err == nil {
				rootDir = dir
				return
			}
			dir = filepath.Dir(dir)
		}
	})
	if rootDir == "" {
		t.Fatal("Pulumi.yaml not found above the test's directory")
	}
	return rootDir
}

// Options loads a stack's configuration as the CLI would.
// The files are read once per stack; each caller gets its own copy, which
// it may change (Run does).
func Options(t testing.TB, stack string) harness.Options {
	t.Helper()
	v, _ := loaded.LoadOrStore(stack, &loadedStack{})
	l := v.(*loadedStack)
	l.once.Do(func() {
		if slices.Contains(Fixtures, stack) {
			l.opts, l.err = harness.LoadFixture(Root(t), stack)
		} else {
			l.opts, l.err = harness.LoadStack(Root(t), stack)
		}
	})
	if l.err != nil {
		t.Fatalf("load stack %s: %v", stack, l.err)
	}
	opts := l.opts
	opts.Config = maps.Clone(opts.Config)
	opts.SecretKeys = slices.Clone(opts.SecretKeys)
	opts.UnsetSecrets = slices.Clone(opts.UnsetSecrets)
	return opts
}

var loaded sync.Map // stack -> *loadedStack

type loadedStack struct {
	once sync.Once
	opts harness.Options
	err  error
}

// Preview runs the program for a stack as `pulumi preview` would (outputs
// of new resources unknown). Recordings are shared between tests: treat them
// as read-only.
func Preview(t testing.TB, stack string) *harness.Recording {
	return cached(t, stack, false)
}

// Resolved runs the program for a stack with outputs resolved (see
// harness.Options.Resolve), so computed documents can be inspected.
func Resolved(t testing.TB, stack string) *harness.Recording {
	return cached(t, stack, true)
}

func cached(t testing.TB, stack string, resolve bool) *harness.Recording {
	t.Helper()
	key := stack
	if resolve {
		key += "+resolved"
	}
	v, _ := cache.LoadOrStore(key, &result{})
	res := v.(*result)
	res.once.Do(func() {
		opts := Options(t, stack)
		opts.Resolve = resolve
		res.rec, res.err = harness.Run(bpa.Program, opts)
	})
	if res.err != nil {
		t.Fatalf("run stack %s: %v", stack, res.err)
	}
	return res.rec
}

// ForEachStack runs check in a parallel subtest per stack of EveryStack,
// named after the stack, over its preview recording (see Preview).
func ForEachStack(t *testing.T, check func(t *testing.T, stack string, rec *harness.Recording)) {
	forEachStack(t, Preview, check)
}

// ForEachResolvedStack is ForEachStack over the resolved recordings (see
// Resolved).
func ForEachResolvedStack(t *testing.T, check func(t *testing.T, stack string, rec *harness.Recording)) {
	forEachStack(t, Resolved, check)
}

func forEachStack(t *testing.T, record func(testing.TB, string) *harness.Recording, check func(t *testing.T, stack string, rec *harness.Recording)) {
	for _, stack := range EveryStack(t) {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()
			check(t, stack, record(t, stack))
		})
	}
}

// Run runs the program for a stack after changing its configuration.
func Run(t testing.TB, stack string, change func(cfg map[string]string)) (*harness.Recording, error) {
	t.Helper()
	opts := Options(t, stack)
	if change != nil {
		change(opts.Config)
	}
	return harness.Run(bpa.Program, opts)
}

// Input returns the plain value at a dotted path of a resource's inputs
// ("metadataOptions.httpTokens", "ingress.0.fromPort"), or nil.
func Input(r *harness.Resource, path string) any {
	return harness.Dig(r.Plain(), path)
}

// Config decodes a stack's configuration as the program does.
func Config(t testing.TB, stack string) *config.Config {
	t.Helper()
	opts := Options(t, stack)
	cfg, err := config.ParseSource(stack, opts.Source())
	if err != nil {
		t.Fatalf("stack %s: %v", stack, err)
	}
	return cfg
}

// ReadFile returns a file of the repository, by path from its root.
func ReadFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Root(t), path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Must returns the recorded resource of a type and logical name, or fails
// the test.
func Must(t testing.TB, rec *harness.Recording, typ, name string) *harness.Resource {
	t.Helper()
	r := rec.Find(typ, name)
	if r == nil {
		t.Fatalf("no %s %s", typ, name)
	}
	return r
}

// ExpectLogicalNames fails the test unless the resources whose names match
// are exactly want ("<type> <name>" lines, sorted). Logical names are part
// of URNs: renaming one replaces the resource.
func ExpectLogicalNames(t testing.TB, rec *harness.Recording, component string, match func(name string) bool, want string) {
	t.Helper()
	var names []string
	for _, r := range rec.Resources {
		if match(r.Name) {
			names = append(names, r.Type+" "+r.Name)
		}
	}
	sort.Strings(names)
	if got := strings.Join(names, "\n"); got != strings.TrimSpace(want) {
		t.Errorf("%s logical names changed; renaming replaces resources (add aliases).\ngot:\n%s", component, got)
	}
}

// Setting is a stack's value for key ("bpa:publicAccessCidrs") as the CLI
// hands it to the program: the stack file's, else Pulumi.yaml's default;
// scalars as text, lists and objects as JSON. It is read from the files,
// not through internal/config, so an expectation built from it does not
// share the program's decoding. A key with neither fails the test.
func Setting(t testing.TB, stack, key string) string {
	t.Helper()
	v, ok := Options(t, stack).Config[key]
	if !ok {
		t.Fatalf("stack %s: %s is neither set nor defaulted", stack, key)
	}
	return v
}

// SettingList is Setting of a list of strings.
func SettingList(t testing.TB, stack, key string) []string {
	t.Helper()
	return parsedSetting(t, stack, key, "a list of strings", func(v string) ([]string, error) {
		var out []string
		return out, json.Unmarshal([]byte(v), &out)
	})
}

// SettingInt is Setting of an integer.
func SettingInt(t testing.TB, stack, key string) int {
	t.Helper()
	return parsedSetting(t, stack, key, "an integer", strconv.Atoi)
}

// SettingBool is Setting of a boolean.
func SettingBool(t testing.TB, stack, key string) bool {
	t.Helper()
	return parsedSetting(t, stack, key, "a boolean", strconv.ParseBool)
}

func parsedSetting[T any](t testing.TB, stack, key, kind string, parse func(string) (T, error)) T {
	t.Helper()
	v, err := parse(Setting(t, stack, key))
	if err != nil {
		t.Fatalf("stack %s: %s is not %s: %v", stack, key, kind, err)
	}
	return v
}

// NamePrefix is <bpa:customer>-<bpa:environment>, which starts every
// physical name of the stack ("acme-dev").
func NamePrefix(t testing.TB, stack string) string {
	t.Helper()
	return Setting(t, stack, "bpa:customer") + "-" + Setting(t, stack, "bpa:environment")
}

// Protected is bpa:protect: stateful resources are protected exactly where
// it is true.
func Protected(t testing.TB, stack string) bool {
	t.Helper()
	return SettingBool(t, stack, "bpa:protect")
}

// Zones are the stack's availability zones, in the order its subnets and
// BPA nodes use them.
func Zones(t testing.TB, stack string) []string {
	t.Helper()
	return SettingList(t, stack, "bpa:availabilityZones")
}

// Component is the run's one component of type typ, named name, and checks
// that it has children and that every resource whose name starts with
// "<name>-" (the component's naming) is its child, not the stack's.
func Component(t testing.TB, rec *harness.Recording, typ, name string) *harness.Resource {
	t.Helper()
	all := rec.OfType(typ)
	if len(all) != 1 || all[0].Name != name {
		t.Fatalf("want one %s named %s, got %d", typ, name, len(all))
	}
	c := all[0]
	if len(rec.Children(c.URN)) == 0 {
		t.Fatalf("%s %s has no children", typ, name)
	}
	for _, r := range rec.Resources {
		if strings.HasPrefix(r.Name, name+"-") && r.Parent != c.URN {
			t.Errorf("%s %s is not parented to the %s component", r.Type, r.Name, name)
		}
	}
	return c
}

// UnitStack is the stack a component's unit run belongs to: "unit-test" in
// us-west-2 of the fake account, unprotected.
func UnitStack() component.Stack {
	return component.Stack{
		NamePrefix: "unit-test",
		Region:     "us-west-2",
		Account:    pulumi.String(cloudfake.AccountID).ToStringOutput(),
		Tags:       map[string]string{"customer": "unit", "environment": "test"},
	}
}

// Unrotated is the rotation label of a credential bpa:credentialsRotation
// omits, as Pulumi.yaml documents it ("an omitted one is \"initial\"").
const Unrotated = "initial"

// RotationLabel is a credential's label in a stack's bpa:credentialsRotation
// (postgresRoot, postgresKong, postgresCamunda, mongoUser).
func RotationLabel(t testing.TB, stack, credential string) string {
	t.Helper()
	var labels map[string]string
	if err := json.Unmarshal([]byte(Setting(t, stack, "bpa:credentialsRotation")), &labels); err != nil {
		t.Fatalf("stack %s: bpa:credentialsRotation is not an object of labels: %v", stack, err)
	}
	if l, ok := labels[credential]; ok {
		return l
	}
	return Unrotated
}

// RecoveryWindow is the Secrets Manager recovery window of a stack's
// secrets: 30 days where bpa:protect is true, none (deleted at once, so a
// throw-away stack can be recreated under the same names) elsewhere.
func RecoveryWindow(t testing.TB, stack string) float64 {
	t.Helper()
	if Protected(t, stack) {
		return 30
	}
	return 0
}

// Refusal is a change that makes a component's valid arguments invalid,
// and what the component's error must then say. A nil Change stands for
// nil arguments.
type Refusal[A any] struct {
	Change func(A)
	Says   []string
}

// ExpectRefused checks a component's own validation, which the program's
// stricter config checks shadow: valid() runs, and each case, applied to a
// fresh valid(), fails saying every Says with nothing registered. run runs
// the component alone, leaving out of its recording anything the test
// itself registers. It returns the recording of valid().
func ExpectRefused[A any](t *testing.T, valid func() A, run func(A) (*harness.Recording, error), cases map[string]Refusal[A]) *harness.Recording {
	t.Helper()
	base, err := run(valid())
	if err != nil {
		t.Fatalf("valid arguments refused: %v", err)
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var args A
			if c.Change != nil {
				args = valid()
				c.Change(args)
			}
			rec, err := run(args)
			if err == nil {
				t.Fatal("invalid arguments accepted")
			}
			for _, says := range c.Says {
				if !strings.Contains(err.Error(), says) {
					t.Errorf("error does not say %q: %v", says, err)
				}
			}
			for _, r := range rec.Resources {
				t.Errorf("%s %s registered despite invalid arguments", r.Type, r.Name)
			}
		})
	}
	return base
}
