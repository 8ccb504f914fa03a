package enginetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/pkg/v3/resource/deploy/deploytest"
	"github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"golang.org/x/mod/modfile"

	"github.com/bpa-infra/bpa-infra/internal/cloudfake"
	"github.com/bpa-infra/bpa-infra/internal/harness"
)

// sdkModules are the provider packages the program uses, by the Go module
// whose version is the plugin version its SDK requests.
var sdkModules = map[string]string{
	"aws":          "github.com/pulumi/pulumi-aws/sdk/v6",
	"eks":          "github.com/pulumi/pulumi-eks/sdk/v2",
	"kubernetes":   "github.com/pulumi/pulumi-kubernetes/sdk/v4",
	"mongodbatlas": "github.com/pulumi/pulumi-mongodbatlas/sdk/v3",
	"postgresql":   "github.com/pulumi/pulumi-postgresql/sdk/v3",
	"random":       "github.com/pulumi/pulumi-random/sdk/v4",
}

// PluginVersions are the plugin versions the linked SDKs request: each SDK
// bakes its own module version into every registration and invoke (e.g.
// pulumi-random v4.18.4 asks for plugin 4.18.4), and the engine loads
// exactly that version. Test binaries carry no module build info, so the
// versions come from this module's go.mod, which `go mod tidy` keeps at the
// versions the build selects.
func PluginVersions() (map[string]semver.Version, error) {
	versionsOnce.Do(func() { pluginVersions, versionsErr = readPluginVersions() })
	return pluginVersions, versionsErr
}

var (
	versionsOnce   sync.Once
	pluginVersions map[string]semver.Version
	versionsErr    error
)

func readPluginVersions() (map[string]semver.Version, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return nil, fmt.Errorf("cannot locate the enginetest module")
	}
	path := filepath.Join(filepath.Dir(file), "go.mod")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	mod, err := modfile.Parse(path, data, nil)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	byPath := map[string]string{}
	for _, r := range mod.Require {
		byPath[r.Mod.Path] = r.Mod.Version
	}
	out := map[string]semver.Version{}
	for pkg, module := range sdkModules {
		v, ok := byPath[module]
		if !ok {
			return nil, fmt.Errorf("%s does not require %s", path, module)
		}
		parsed, err := semver.ParseTolerant(v)
		if err != nil {
			return nil, fmt.Errorf("version %s of %s: %w", v, module, err)
		}
		out[pkg] = parsed
	}
	return out, nil
}

// Op is one call the fake cloud received, in the order calls finished.
type Op struct {
	Kind string // create, update, delete
	URN  resource.URN
}

// Cloud is the fake cloud behind every provider of one engine run: it
// records what it was asked to do, so tests can see order as well as result.
type Cloud struct {
	mu  sync.Mutex
	ops []Op
	// started counts operations in flight by URN type, to see overlap.
	inFlight map[string]int
	overlaps map[string]bool
}

func newCloud() *Cloud {
	return &Cloud{inFlight: map[string]int{}, overlaps: map[string]bool{}}
}

// Ops are the create, update and delete calls in the order they finished.
func (c *Cloud) Ops() []Op {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.ops)
}

// Overlapped reports whether two operations on resources of type typ ran at
// the same time.
func (c *Cloud) Overlapped(typ string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.overlaps[typ]
}

// begin and end bracket an operation; a provider that yields between them
// lets the engine start any other step it considers ready.
func (c *Cloud) begin(urn resource.URN) {
	c.mu.Lock()
	defer c.mu.Unlock()
	typ := string(urn.Type())
	c.inFlight[typ]++
	if c.inFlight[typ] > 1 {
		c.overlaps[typ] = true
	}
}

func (c *Cloud) end(kind string, urn resource.URN) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inFlight[string(urn.Type())]--
	c.ops = append(c.ops, Op{Kind: kind, URN: urn})
}

// loaders are one fake provider per package at the version the SDK asks for.
func (c *Cloud) loaders(versions map[string]semver.Version) []*deploytest.ProviderLoader {
	var out []*deploytest.ProviderLoader
	for _, pkg := range slices.Sorted(mapsKeys(versions)) {
		version := versions[pkg]
		out = append(out, deploytest.NewProviderLoader(tokens.Package(pkg), version, func() (plugin.Provider, error) {
			return c.provider(pkg, version, versions), nil
		}))
	}
	return out
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// provider is the fake provider of one package: Check echoes the inputs
// (naming what the real provider names), Diff compares them key by key and
// replaces on the properties the real provider replaces on (replace.go),
// Create and Update answer with the inputs plus cloudfake's computed outputs
// (unknown in a preview), Invoke answers from cloudfake.
func (c *Cloud) provider(pkg string, version semver.Version, versions map[string]semver.Version) plugin.Provider {
	p := &deploytest.Provider{Package: tokens.Package(pkg), Version: version}
	p.CheckF = func(_ context.Context, req plugin.CheckRequest) (plugin.CheckResponse, error) {
		news := resource.ToResourcePropertyMap(req.NewInputs)
		if prop, ok := cloudfake.AutoNamed[string(req.URN.Type())]; ok {
			key := resource.PropertyKey(prop)
			if _, set := news[key]; !set {
				olds := resource.ToResourcePropertyMap(req.OldInputs)
				if old, kept := olds[key]; kept {
					news[key] = old
				} else {
					news[key] = resource.NewProperty(autoName(news, string(req.URN)))
				}
			}
		}
		for k, v := range schemaDefaults[string(req.URN.Type())] {
			if _, set := news[resource.PropertyKey(k)]; !set {
				news[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
			}
		}
		return plugin.CheckResponse{Properties: resource.FromResourcePropertyMap(news)}, nil
	}
	// A provider's own settings (region, default tags, kubeconfig) change in
	// place; the resources it manages are diffed on their own inputs.
	p.DiffConfigF = func(_ context.Context, req plugin.DiffConfigRequest) (plugin.DiffConfigResponse, error) {
		return diff("", resource.ToResourcePropertyMap(req.OldInputs), resource.ToResourcePropertyMap(req.NewInputs), property.Map{}), nil
	}
	p.DiffF = func(_ context.Context, req plugin.DiffRequest) (plugin.DiffResult, error) {
		typ := string(req.URN.Type())
		olds := resource.ToResourcePropertyMap(req.OldInputs)
		if !strings.HasPrefix(typ, "kubernetes:") {
			olds = priorState(olds, resource.ToResourcePropertyMap(req.OldOutputs))
		}
		return diff(typ, olds, resource.ToResourcePropertyMap(req.NewInputs), p.Config), nil
	}
	p.CreateF = func(_ context.Context, req plugin.CreateRequest) (plugin.CreateResponse, error) {
		inputs := resource.ToResourcePropertyMap(req.Properties)
		typ, name := string(req.URN.Type()), req.URN.Name()
		if req.Preview {
			out := inputs.Copy()
			for _, k := range cloudfake.Computed(typ, name, inputs) {
				out[resource.PropertyKey(k)] = resource.MakeComputed(resource.NewProperty(""))
			}
			return plugin.CreateResponse{Properties: resource.FromResourcePropertyMap(out)}, nil
		}
		c.begin(req.URN)
		defer c.end("create", req.URN)
		return plugin.CreateResponse{
			ID:         resource.ID(cloudfake.ID(name)),
			Properties: resource.FromResourcePropertyMap(cloudfake.Outputs(typ, name, inputs)),
			Status:     resource.StatusOK,
		}, nil
	}
	p.UpdateF = func(_ context.Context, req plugin.UpdateRequest) (plugin.UpdateResponse, error) {
		typ, name := string(req.URN.Type()), req.URN.Name()
		old := resource.ToResourcePropertyMap(req.OldOutputs)
		out := cloudfake.Updated(typ, name, old, resource.ToResourcePropertyMap(req.NewInputs))
		if req.Preview {
			// What the update will change is not known before it runs.
			for k, v := range out {
				if prev, ok := old[k]; ok && !prev.DeepEquals(v) && !isInput(k, req.NewInputs) {
					out[k] = resource.MakeComputed(resource.NewProperty(""))
				}
			}
			return plugin.UpdateResponse{Properties: resource.FromResourcePropertyMap(out), Status: resource.StatusOK}, nil
		}
		c.begin(req.URN)
		defer c.end("update", req.URN)
		if slowUpdates[typ] {
			// Long enough for the engine to start any other update it
			// considers independent: overlap shows in Cloud.Overlapped.
			time.Sleep(50 * time.Millisecond)
		}
		return plugin.UpdateResponse{Properties: resource.FromResourcePropertyMap(out), Status: resource.StatusOK}, nil
	}
	p.DeleteF = func(_ context.Context, req plugin.DeleteRequest) (plugin.DeleteResponse, error) {
		c.begin(req.URN)
		defer c.end("delete", req.URN)
		return plugin.DeleteResponse{Status: resource.StatusOK}, nil
	}
	p.ReadF = func(_ context.Context, req plugin.ReadRequest) (plugin.ReadResponse, error) {
		inputs, state := req.Inputs, req.State
		return plugin.ReadResponse{ReadResult: plugin.ReadResult{ID: req.ID, Inputs: &inputs, Outputs: &state}, Status: resource.StatusOK}, nil
	}
	p.InvokeF = func(_ context.Context, req plugin.InvokeRequest) (plugin.InvokeResponse, error) {
		out, secret, err := cloudfake.Invoke(string(req.Tok), resource.ToResourcePropertyMap(req.Args))
		if err != nil {
			return plugin.InvokeResponse{}, err
		}
		for _, k := range secret {
			if v, ok := out[resource.PropertyKey(k)]; ok {
				out[resource.PropertyKey(k)] = resource.MakeSecret(v)
			}
		}
		return plugin.InvokeResponse{Properties: resource.FromResourcePropertyMap(out)}, nil
	}
	if pkg == "eks" {
		p.ConstructF = func(_ context.Context, req plugin.ConstructRequest, monitor *deploytest.ResourceMonitor) (plugin.ConstructResponse, error) {
			return constructEks(req, monitor, versions)
		}
	}
	return p
}

// slowUpdates are the types whose updates take minutes in the real cloud
// and whose order a test checks.
var slowUpdates = map[string]bool{"aws:eks/nodeGroup:NodeGroup": true}

// schemaDefaults are inputs a bridged provider's Check fills in from its
// schema's defaults when the program leaves them out, where a test needs
// them: GrantRole's with_admin_option (Default: false,
// terraform-provider-postgresql v1.25.0 resource_postgresql_grant_role.go).
var schemaDefaults = map[string]map[string]any{
	"postgresql:index/grantRole:GrantRole": {"withAdminOption": false},
}

// priorState is what a Terraform-bridged provider compares the program's
// inputs with: the state it read back after the last operation, for every
// input it has, not the inputs last sent. A provider that reads back a
// value other than it was given shows a diff on every run.
func priorState(oldInputs, oldOutputs resource.PropertyMap) resource.PropertyMap {
	return readBack(resource.NewProperty(oldInputs), resource.NewProperty(oldOutputs)).ObjectValue()
}

// readBack is the state's value for what the program gave: objects field
// by field (a computed field the program never set is not compared), the
// read value where there is one.
func readBack(given, read resource.PropertyValue) resource.PropertyValue {
	switch {
	case given.IsObject() && read.IsObject():
		out := resource.PropertyMap{}
		for k, v := range given.ObjectValue() {
			out[k] = readBack(v, read.ObjectValue()[k])
		}
		return resource.NewProperty(out)
	case read.IsNull():
		return given
	}
	return read
}

// autoName is the name a provider makes up: from the program's prefix
// (namePrefix, bucketPrefix) when it gives one.
func autoName(inputs resource.PropertyMap, urn string) string {
	for _, k := range []resource.PropertyKey{"namePrefix", "bucketPrefix"} {
		if v, ok := inputs[k]; ok && v.IsString() {
			return v.StringValue() + cloudfake.AutoName(urn, "")[1:]
		}
	}
	return cloudfake.AutoName(urn, resource.URN(urn).Name())
}

func isInput(k resource.PropertyKey, inputs property.Map) bool {
	_, ok := inputs.GetOk(string(k))
	return ok
}

// diff is the provider's verdict on one resource: every top-level input
// that changed is an update, and a change at a path the real provider
// cannot change in place (replace.go) makes it a replacement.
func diff(typ string, olds, news resource.PropertyMap, providerConfig property.Map) plugin.DiffResult {
	var changed, replace []resource.PropertyKey
	keys := map[resource.PropertyKey]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	for k := range keys {
		if !plain(olds[k]).DeepEquals(plain(news[k])) {
			changed = append(changed, k)
		}
	}
	if len(changed) == 0 {
		return plugin.DiffResult{Changes: plugin.DiffNone}
	}
	oldObj, newObj := resource.NewProperty(olds), resource.NewProperty(news)
	for _, path := range replacePaths(typ, providerConfig) {
		steps := strings.Split(path, ".")
		args := make([]any, len(steps))
		for i, s := range steps {
			args[i] = s
		}
		if !dig(oldObj, args...).DeepEquals(dig(newObj, args...)) {
			replace = append(replace, resource.PropertyKey(steps[0]))
		}
	}
	sort.Slice(changed, func(i, j int) bool { return changed[i] < changed[j] })
	replace = slices.Compact(sortedKeys(replace))
	return plugin.DiffResult{Changes: plugin.DiffSome, ChangedKeys: changed, ReplaceKeys: replace}
}

func sortedKeys(keys []resource.PropertyKey) []resource.PropertyKey {
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

// plain drops secret markers: a value is the same whether or not the
// program marked it secret.
func plain(v resource.PropertyValue) resource.PropertyValue {
	return harness.Rewrite(v, func(v resource.PropertyValue) (resource.PropertyValue, bool) {
		if v.IsSecret() {
			return plain(v.SecretValue().Element), true
		}
		return v, false
	})
}
