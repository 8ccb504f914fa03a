package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	sdkconfig "github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/bpa-infra/bpa-infra/internal/config"
)

// SecretPlaceholder stands in for every encrypted stack value, and for every
// secret Pulumi.yaml requires that the stack file does not hold yet: the
// plan never decrypts anything, and a test that finds this text in output
// has found a leaked secret.
const SecretPlaceholder = "PLACEHOLDER-FOR-ENCRYPTED-CONFIG"

// FixtureDir holds the test fixture stacks, below the project's directory:
// fixed values for the tests that pin them, apart from the customers'
// stacks beside Pulumi.yaml.
const FixtureDir = "testdata/stacks"

// StackFile is the file of a committed stack: Pulumi.<stack>.yaml in the
// project directory dir.
func StackFile(dir, stack string) string {
	return filepath.Join(dir, "Pulumi."+stack+".yaml")
}

// FixtureFile is the file of a fixture stack: Pulumi.<stack>.yaml in
// FixtureDir below the project directory dir.
func FixtureFile(dir, stack string) string {
	return StackFile(filepath.Join(dir, FixtureDir), stack)
}

// LoadStack reads Pulumi.yaml and Pulumi.<stack>.yaml in dir the way the CLI
// does: project defaults first, stack values over them, declared types
// checked, secure values marked secret.
func LoadStack(dir, stack string) (Options, error) {
	return loadStack(dir, StackFile(dir, stack), stack)
}

// LoadFixture is LoadStack of a fixture stack (FixtureFile), with the
// project's Pulumi.yaml in dir.
func LoadFixture(dir, stack string) (Options, error) {
	return loadStack(dir, FixtureFile(dir, stack), stack)
}

func loadStack(dir, stackFile, stack string) (Options, error) {
	proj, err := workspace.LoadProject(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		return Options{}, err
	}
	ps, err := workspace.LoadProjectStack(nil, proj, stackFile)
	if err != nil {
		return Options{}, fmt.Errorf("load %s: %w", stackFile, err)
	}
	if len(ps.Config) == 0 {
		return Options{}, fmt.Errorf("stack %q has no configuration: %s is missing or empty", stack, stackFile)
	}
	defaults, err := projectDefaults(proj)
	if err != nil {
		return Options{}, err
	}
	opts := Options{Project: proj.Name.String(), Stack: stack, Config: defaults}

	for key, value := range ps.Config {
		full := key.String()
		text, err := value.Value(placeholderDecrypter{})
		if err != nil {
			return Options{}, fmt.Errorf("%s: %s: %w", stackFile, full, err)
		}
		if value.Secure() {
			opts.SecretKeys = append(opts.SecretKeys, full)
		}
		// Types are the program's to check (internal/config), so that a
		// stack's every problem is reported at once and no check quotes a
		// secret.
		opts.Config[full] = text
	}
	// A secret Pulumi.yaml requires and the stack file lacks is set per
	// deployment (pulumi config set --secret); the plan stands in for it.
	for key, decl := range proj.Config {
		full := qualifiedKey(proj, key)
		if _, set := opts.Config[full]; decl.Secret && !set {
			opts.Config[full] = SecretPlaceholder
			opts.SecretKeys = append(opts.SecretKeys, full)
			opts.UnsetSecrets = append(opts.UnsetSecrets, full)
		}
	}
	sort.Strings(opts.UnsetSecrets)
	sort.Strings(opts.SecretKeys)
	return opts, nil
}

// configText renders a value as the language host passes it: scalars as
// text, everything else as JSON.
func configText(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case bool, int, int64, float64:
		return fmt.Sprint(v), nil
	default:
		b, err := json.Marshal(v)
		return string(b), err
	}
}

type placeholderDecrypter struct{}

func (placeholderDecrypter) DecryptValue(context.Context, string) (string, error) {
	return SecretPlaceholder, nil
}

func (placeholderDecrypter) BatchDecrypt(_ context.Context, cts []string) ([]string, error) {
	out := make([]string, len(cts))
	for i := range out {
		out[i] = SecretPlaceholder
	}
	return out, nil
}

var _ sdkconfig.Decrypter = placeholderDecrypter{}

// Lookup returns a fully qualified config value as the language host hands
// it to the program (config.Lookup).
func (o Options) Lookup(key string) (string, bool) {
	v, ok := o.Config[key]
	return v, ok
}

// IsSecret reports whether a fully qualified key is stored encrypted.
func (o Options) IsSecret(key string) bool { return slices.Contains(o.SecretKeys, key) }

// Source is the stack's configuration as the program reads it, with every
// key the stack sets (so undeclared ones are found) and this process's
// environment.
func (o Options) Source() config.Source {
	return config.Source{Lookup: o.Lookup, IsSecret: o.IsSecret, Keys: slices.Sorted(maps.Keys(o.Config)), Env: os.LookupEnv}
}

// ProjectDefaults are the defaults Pulumi.yaml in dir declares, by fully
// qualified key, as the CLI hands them to the program for every key a
// stack leaves out.
func ProjectDefaults(dir string) (map[string]string, error) {
	proj, err := workspace.LoadProject(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		return nil, err
	}
	return projectDefaults(proj)
}

// qualifiedKey is a Pulumi.yaml config key with its namespace: the
// project's unless it names another ("aws:region").
func qualifiedKey(proj *workspace.Project, key string) string {
	if strings.Contains(key, ":") {
		return key
	}
	return proj.Name.String() + ":" + key
}

func projectDefaults(proj *workspace.Project) (map[string]string, error) {
	out := map[string]string{}
	for key, decl := range proj.Config {
		full := qualifiedKey(proj, key)
		v := decl.Default
		if v == nil {
			v = decl.Value
		}
		if v == nil {
			continue
		}
		text, err := configText(v)
		if err != nil {
			return nil, fmt.Errorf("read %s from Pulumi.yaml: %w", full, err)
		}
		out[full] = text
	}
	return out, nil
}

// StackNames lists the stacks committed in dir, from their
// Pulumi.<stack>.yaml files, in name order: a new customer's stack file is
// all it takes for the tests, the engine tests and the README's figures to
// cover it. StackNames of FixtureDir lists the fixtures.
func StackNames(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "Pulumi.*.yaml"))
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for _, f := range files {
		names = append(names, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml"))
	}
	sort.Strings(names)
	return names, nil
}
