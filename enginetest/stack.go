// Package enginetest runs the Pulumi program under the real deployment
// engine of github.com/pulumi/pulumi/pkg/v3, in-process: configuration
// validated as `pulumi preview` and `pulumi up` validate it, the engine's own
// step generation, diffs, protect and default-provider checks, and fake
// providers only at the cloud boundary (providers.go). It is a module of its
// own so that the program's module, and the README's `go test ./...`, never
// build pkg/v3.
package enginetest

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	pkgworkspace "github.com/pulumi/pulumi/pkg/v3/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/common/esc"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/bpa-infra/bpa-infra/internal/harness"
)

// crypter encrypts the test's secrets as `pulumi config set --secret` does
// with a passphrase secrets provider: real AES-256-GCM ciphertext, under a
// passphrase that only the tests know.
var crypter = config.NewSymmetricCrypterFromPassphrase("bpa-enginetest-passphrase", []byte("bpa-enginetest-salt"))

// Stack is one stack as the CLI hands it to the engine: the project with
// Pulumi.yaml's schema, and the stack's configuration after the CLI's own
// validation applied the project defaults.
type Stack struct {
	Name    string
	Project *workspace.Project
	// Config holds secure values as ciphertext; the engine decrypts them for
	// the program and tells it which keys were secret.
	Config config.Map
	// secrets are the values set with SetSecret, by key, so tests can look
	// for them where they must not be.
	secrets map[string]string
}

// Secrets are the plain-text values a test set as secrets.
func (s *Stack) Secrets() map[string]string { return maps.Clone(s.secrets) }

// LoadStack reads Pulumi.yaml and Pulumi.<stack>.yaml in dir, the stack file
// exactly as committed.
func LoadStack(dir, name string) (*Stack, error) {
	return loadStack(dir, harness.StackFile(dir, name), name)
}

// LoadFixture is LoadStack of a fixture stack (harness.FixtureFile).
func LoadFixture(dir, name string) (*Stack, error) {
	return loadStack(dir, harness.FixtureFile(dir, name), name)
}

func loadStack(dir, path, name string) (*Stack, error) {
	proj, err := workspace.LoadProject(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("stack %s: %w", name, err)
	}
	ps, err := workspace.LoadProjectStack(nil, proj, path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	// The engine test runs in memory with the project root at "/": the
	// program is linked in, not built from main.
	proj.Main = ""
	return &Stack{Name: name, Project: proj, Config: maps.Clone(ps.Config), secrets: map[string]string{}}, nil
}

// Set sets a plain value, as `pulumi config set key value` does; JSON arrays
// and objects are set as structured values.
func (s *Stack) Set(key, value string) error {
	k, err := config.ParseKey(key)
	if err != nil {
		return err
	}
	v := config.NewValue(value)
	if strings.HasPrefix(value, "{") || strings.HasPrefix(value, "[") {
		v = config.NewObjectValue(value)
	}
	s.Config[k] = v
	return nil
}

// SetSecret sets an encrypted value, as `pulumi config set --secret` does.
func (s *Stack) SetSecret(key, value string) error {
	k, err := config.ParseKey(key)
	if err != nil {
		return err
	}
	ciphertext, err := crypter.EncryptValue(context.Background(), value)
	if err != nil {
		return err
	}
	s.Config[k] = config.NewSecureValue(ciphertext)
	s.secrets[key] = value
	return nil
}

// Remove unsets a key, as `pulumi config rm` does.
func (s *Stack) Remove(key string) error {
	k, err := config.ParseKey(key)
	if err != nil {
		return err
	}
	delete(s.Config, k)
	return nil
}

// Validated is the configuration the engine receives: the stack's values
// checked against Pulumi.yaml and the project defaults applied, by the very
// function `pulumi preview` and `pulumi up` call
// (pkg/v3/workspace.ValidateStackConfigAndApplyProjectConfig). Its error is
// the CLI's own message.
func (s *Stack) Validated() (config.Map, error) {
	cfg := maps.Clone(s.Config)
	if err := pkgworkspace.ValidateStackConfigAndApplyProjectConfig(
		context.Background(), s.Name, s.Project, esc.Value{}, cfg, crypter, crypter); err != nil {
		return nil, fmt.Errorf("validating stack config: %w", err)
	}
	return cfg, nil
}

// Clone is an independent copy, for a test that changes configuration.
func (s *Stack) Clone() *Stack {
	c := *s
	c.Config = maps.Clone(s.Config)
	c.secrets = maps.Clone(s.secrets)
	return &c
}

// SecretKeys are the keys Pulumi.yaml declares secret.
func (s *Stack) SecretKeys() []string {
	var keys []string
	for k, decl := range s.Project.Config {
		if decl.Secret {
			keys = append(keys, s.Project.Name.String()+":"+k)
		}
	}
	return slices.Sorted(slices.Values(keys))
}
