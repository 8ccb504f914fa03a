// Package harness runs the Pulumi program for real under the SDK's mock
// monitor and records every resource it registers: type, name, parent,
// inputs (with unknowns and secrets kept), dependencies and options. The tests
// and the offline plan both read these recordings.
package harness

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bpa-infra/bpa-infra/internal/cloudfake"
	"github.com/bpa-infra/bpa-infra/internal/config"
)

// Resource is one registration the program made.
type Resource struct {
	URN      string
	Type     string
	Name     string
	Parent   string
	Custom   bool
	Remote   bool // a multi-language component such as eks.Cluster
	Provider string
	// Providers are those handed to a component for its children, by
	// package ("aws" -> provider URN).
	Providers map[string]string
	Inputs    resource.PropertyMap
	// Dependencies are the URNs the engine waits for before creating this
	// resource (DependsOn plus every resource whose outputs feed an input).
	Dependencies         []string
	PropertyDependencies map[string][]string
	Protect              bool
	RetainOnDelete       bool
	DeleteBeforeReplace  bool
	IgnoreChanges        []string
	ReplaceOnChanges     []string
	AdditionalSecrets    []string
	Aliases              []string
	// Transforms are the resource's transforms; the mock runs none, so
	// rules call them on the children a remote component would make.
	Transforms []pulumi.ResourceTransform
}

// Recording is everything one run registered, ordered by URN.
type Recording struct {
	Project   string
	Stack     string
	Resources []*Resource
	Invokes   []string
	// Outputs are the stack's exports, by name.
	Outputs map[string]*StackOutput
}

// StackOutput is one export of the stack.
type StackOutput struct {
	// Value is the plain value; meaningful only when Known and not Secret.
	Value  any
	Known  bool
	Secret bool
}

// Options say which program configuration to run with.
type Options struct {
	Project    string
	Stack      string
	Config     map[string]string // fully qualified keys, scalars as text, objects as JSON
	SecretKeys []string
	// UnsetSecrets are the secrets Pulumi.yaml requires that the stack file
	// does not hold; the plan runs with placeholders for them, and
	// `pulumi up` refuses the stack until they are set.
	UnsetSecrets []string
	// Resolve makes the mock answer like a finished deployment would: every
	// output echoes its input and ids and ARNs are made up, so that values
	// computed from other resources' outputs (policies, user data) can be
	// inspected. Without it outputs stay unknown, as in `pulumi preview`.
	Resolve bool
}

// Run executes program under the mock monitor as a preview does and returns
// what it registered. A program error is returned together with whatever
// had been registered before it.
func Run(program pulumi.RunFunc, opts Options) (*Recording, error) {
	if opts.Project == "" {
		opts.Project = "bpa"
	}
	m := &monitor{opts: opts, rec: &Recording{Project: opts.Project, Stack: opts.Stack}}
	keys := slices.Sorted(maps.Keys(opts.Config))
	m.rec.Outputs = map[string]*StackOutput{}
	withKeys := func(ctx *pulumi.Context) error {
		if err := program(config.WithKeys(ctx, keys)); err != nil {
			return err
		}
		m.recordOutputs(ctx)
		return nil
	}
	err := pulumi.RunErr(withKeys,
		pulumi.WithMocks(opts.Project, opts.Stack, m),
		func(info *pulumi.RunInfo) {
			info.Config = opts.Config
			info.ConfigSecretKeys = opts.SecretKeys
			info.DryRun = true
		})
	// Registration order depends on goroutine scheduling; URN order makes
	// every recording, and so every plan, reproducible.
	sort.Slice(m.rec.Resources, func(i, j int) bool { return m.rec.Resources[i].URN < m.rec.Resources[j].URN })
	return m.rec, err
}

type monitor struct {
	opts Options
	mu   sync.Mutex
	rec  *Recording
}

func (m *monitor) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	rpc := args.RegisterRPC
	if rpc == nil {
		return "", nil, fmt.Errorf("%s %s: read of an existing resource is not supported by the harness", args.TypeToken, args.Name)
	}
	inputs, err := plugin.UnmarshalProperties(rpc.GetObject(), plugin.MarshalOptions{
		KeepUnknowns: true, KeepSecrets: true, KeepResources: true, KeepOutputValues: true,
	})
	if err != nil {
		return "", nil, fmt.Errorf("decode inputs of %s %s: %w", args.TypeToken, args.Name, err)
	}
	// The program's stack transform (config.SecretTransform) marks every
	// input holding a value the stack stores encrypted as secret; the mock
	// runs no transform, and every such value is SecretPlaceholder here.
	inputs = hidePlaceholder(inputs)
	r := &Resource{
		URN:                 m.urn(rpc.GetParent(), rpc.GetType(), rpc.GetName()),
		Type:                rpc.GetType(),
		Name:                rpc.GetName(),
		Parent:              rpc.GetParent(),
		Custom:              rpc.GetCustom(),
		Remote:              rpc.GetRemote(),
		Provider:            providerURN(rpc.GetProvider()),
		Inputs:              inputs,
		Dependencies:        sorted(rpc.GetDependencies()),
		Protect:             rpc.GetProtect(),
		RetainOnDelete:      rpc.GetRetainOnDelete(),
		DeleteBeforeReplace: rpc.GetDeleteBeforeReplace(),
		IgnoreChanges:       rpc.GetIgnoreChanges(),
		ReplaceOnChanges:    rpc.GetReplaceOnChanges(),
		AdditionalSecrets:   rpc.GetAdditionalSecretOutputs(),
		Transforms:          args.Transforms,
	}
	for pkg, ref := range rpc.GetProviders() {
		if r.Providers == nil {
			r.Providers = map[string]string{}
		}
		r.Providers[pkg] = providerURN(ref)
	}
	if pd := rpc.GetPropertyDependencies(); len(pd) > 0 {
		r.PropertyDependencies = map[string][]string{}
		for k, v := range pd {
			if urns := v.GetUrns(); len(urns) > 0 {
				r.PropertyDependencies[k] = sorted(urns)
			}
		}
	}
	for _, a := range rpc.GetAliases() {
		if u := a.GetUrn(); u != "" {
			r.Aliases = append(r.Aliases, u)
		} else if spec := a.GetSpec(); spec != nil {
			r.Aliases = append(r.Aliases, spec.GetName())
		}
	}
	m.mu.Lock()
	m.rec.Resources = append(m.rec.Resources, r)
	m.mu.Unlock()

	if !m.opts.Resolve {
		id, state := previewState(r, args.Inputs)
		return id, state, nil
	}
	return resolvedID(r), resolvedOutputs(r, args.Inputs), nil
}

func (m *monitor) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	m.rec.Invokes = append(m.rec.Invokes, args.Token)
	m.mu.Unlock()
	out, _, err := cloudfake.Invoke(args.Token, args.Args)
	return out, err
}

// recordOutputs notes each export once it resolves; one that never does
// (a preview's unknown) stays unknown.
func (m *monitor) recordOutputs(ctx *pulumi.Context) {
	for name, value := range ctx.GetCurrentExportMap() {
		out := &StackOutput{}
		m.mu.Lock()
		m.rec.Outputs[name] = out
		m.mu.Unlock()
		o := pulumi.ToOutput(value)
		o.ApplyT(func(v any) any {
			secret := pulumi.IsSecret(o)
			m.mu.Lock()
			defer m.mu.Unlock()
			out.Known, out.Secret = true, secret
			if !secret {
				out.Value = v
			}
			return nil
		})
	}
}

// urn builds the URN the mock monitor gives the resource, so that parents
// and dependencies can be matched against it.
func (m *monitor) urn(parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(m.opts.Stack), tokens.PackageName(m.opts.Project), parentType,
		tokens.Type(typ), name))
}

// providerURN strips the "::id" of a provider reference.
func providerURN(ref string) string {
	if i := strings.LastIndex(ref, "::"); i > 0 && strings.HasPrefix(ref, "urn:") {
		return ref[:i]
	}
	return ref
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// hidePlaceholder makes every string holding SecretPlaceholder a secret.
func hidePlaceholder(m resource.PropertyMap) resource.PropertyMap {
	return Rewrite(resource.NewProperty(m), func(v resource.PropertyValue) (resource.PropertyValue, bool) {
		if v.IsString() && strings.Contains(v.StringValue(), SecretPlaceholder) {
			return resource.MakeSecret(v), true
		}
		return v, false
	}).ObjectValue()
}

// Rewrite rebuilds v bottom-up through objects and arrays, replacing each
// value that leaf claims (its second result true) by leaf's first result.
func Rewrite(v resource.PropertyValue, leaf func(resource.PropertyValue) (resource.PropertyValue, bool)) resource.PropertyValue {
	if r, ok := leaf(v); ok {
		return r
	}
	switch {
	case v.IsObject():
		out := resource.PropertyMap{}
		for k, e := range v.ObjectValue() {
			out[k] = Rewrite(e, leaf)
		}
		return resource.NewProperty(out)
	case v.IsArray():
		var out []resource.PropertyValue
		for _, e := range v.ArrayValue() {
			out = append(out, Rewrite(e, leaf))
		}
		return resource.NewProperty(out)
	}
	return v
}
