package enginetest

import (
	"context"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/pkg/v3/display"
	"github.com/pulumi/pulumi/pkg/v3/engine"
	lt "github.com/pulumi/pulumi/pkg/v3/engine/lifecycletest/framework"
	"github.com/pulumi/pulumi/pkg/v3/resource/deploy"
	"github.com/pulumi/pulumi/pkg/v3/resource/deploy/deploytest"
	"github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	bpaconfig "github.com/bpa-infra/bpa-infra/internal/config"
)

// Step is one step the engine took (or, in a preview, would take).
type Step struct {
	Op   display.StepOp
	URN  resource.URN
	Type string
	// Keys are the properties that force a replacement; Diffs those that
	// changed.
	Keys  []resource.PropertyKey
	Diffs []resource.PropertyKey
	// Inputs are the resource's new inputs (old ones for a delete).
	Inputs resource.PropertyMap
}

// Result is what one engine operation did.
type Result struct {
	Steps []Step
	// Diagnostics are the engine's and the program's messages of warning
	// severity and above, as the CLI prints them.
	Diagnostics []string
	Err         error
	// Snapshot is the state after an update or destroy (nil for previews).
	Snapshot *deploy.Snapshot
	// Cloud recorded the provider calls of this operation.
	Cloud *Cloud
	// Violations are the policy pack's findings, as the engine reported
	// them; Notes the messages of info severity (the pack's undecided
	// rules among them).
	Violations []Violation
	Notes      []string
}

// Violation is one policy violation the engine reported.
type Violation struct {
	Policy string
	URN    resource.URN
	Level  apitype.EnforcementLevel
	// Message is the policy's description, then the finding.
	Message string
}

// Errors are the diagnostics of error severity.
func (r *Result) Errors() []string {
	var out []string
	for _, d := range r.Diagnostics {
		if strings.HasPrefix(d, "error: ") {
			out = append(out, d)
		}
	}
	return out
}

// Ops counts the steps by operation.
func (r *Result) Ops() map[display.StepOp]int {
	out := map[display.StepOp]int{}
	for _, s := range r.Steps {
		out[s.Op]++
	}
	return out
}

// Step returns the step of a URN, if the engine took one.
func (r *Result) Step(urn resource.URN) (Step, bool) {
	for _, s := range r.Steps {
		if s.URN == urn {
			return s, true
		}
	}
	return Step{}, false
}

// Engine runs one program against stacks, with the fake cloud.
type Engine struct {
	Program pulumi.RunFunc
	T       lt.TB
	// PolicyPack, when set, is the policy pack's binary, which the engine
	// starts and asks as the CLI's --policy-pack does; PolicyPackConfig is
	// its --policy-pack-config file.
	PolicyPack       string
	PolicyPackConfig string
}

// Preview is `pulumi preview` of the stack from a state (nil: a new stack).
func (e *Engine) Preview(s *Stack, snap *deploy.Snapshot) *Result {
	return e.run(s, snap, engine.Update, true)
}

// Update is `pulumi up` (without its preview) from a state.
func (e *Engine) Update(s *Stack, snap *deploy.Snapshot) *Result {
	return e.run(s, snap, engine.Update, false)
}

// PreviewDestroy is `pulumi destroy --preview-only`.
func (e *Engine) PreviewDestroy(s *Stack, snap *deploy.Snapshot) *Result {
	return e.run(s, snap, engine.Destroy, true)
}

// Destroy is `pulumi destroy`.
func (e *Engine) Destroy(s *Stack, snap *deploy.Snapshot) *Result {
	return e.run(s, snap, engine.Destroy, false)
}

func (e *Engine) run(s *Stack, snap *deploy.Snapshot, op lt.TestOp, dryRun bool) *Result {
	res := &Result{Cloud: newCloud()}
	cfg, err := s.Validated()
	if err != nil {
		res.Err = err
		return res
	}
	versions, err := PluginVersions()
	if err != nil {
		res.Err = err
		return res
	}
	sink, notes := &diagSink{}, &diagSink{}
	statusSink := diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never})
	loaders := res.Cloud.loaders(versions)
	var updateOpts engine.UpdateOptions
	if e.PolicyPack != "" {
		pack, err := filepath.Abs(e.PolicyPack)
		if err != nil {
			res.Err = err
			return res
		}
		// The CLI's own loading: NewPolicyAnalyzer starts the binary,
		// handshakes and hands it the stack and its configuration.
		loaders = append(loaders, deploytest.NewAnalyzerLoaderWithHost(pack, func(opts *plugin.PolicyAnalyzerOptions, host plugin.Host) (plugin.Analyzer, error) {
			pctx, err := plugin.NewContext(context.Background(), sink.sink(), statusSink, host, nil, filepath.Dir(pack), nil, false, nil, nil)
			if err != nil {
				return nil, err
			}
			return plugin.NewPolicyAnalyzer(host, pctx, tokens.QName(pack), pack, opts)
		}))
		var configs []string
		if e.PolicyPackConfig != "" {
			configs = []string{e.PolicyPackConfig}
		}
		updateOpts.LocalPolicyPacks = engine.MakeLocalPolicyPacks([]string{pack}, configs)
	}
	hostF := func() plugin.Host {
		var host plugin.Host
		runtime := deploytest.NewLanguageRuntime(func(info plugin.RunInfo, _ *deploytest.ResourceMonitor) error {
			return runProgram(e.Program, info, host.ServerAddr())
		})
		host = deploytest.NewPluginHost(diag.DefaultSink(notes.writer(), sink.writer(), diag.FormatOptions{Color: colors.Never}),
			statusSink, runtime, loaders...)
		return host
	}
	target := deploy.Target{
		Name:      tokens.MustParseStackName(s.Name),
		Config:    cfg,
		Decrypter: crypter,
		Snapshot:  lt.CloneSnapshot(e.T, snap),
	}
	opts := lt.TestUpdateOptions{T: e.T, HostF: hostF, SkipDisplayTests: true, UpdateOptions: updateOpts}
	validate := func(_ workspace.Project, _ deploy.Target, _ engine.JournalEntries, events []engine.Event, err error) error {
		res.Steps = steps(events)
		for _, ev := range events {
			if ev.Type == engine.PolicyViolationEvent {
				v := ev.Payload().(engine.PolicyViolationEventPayload)
				res.Violations = append(res.Violations, Violation{Policy: v.PolicyName, URN: v.ResourceURN, Level: v.EnforcementLevel,
					Message: colors.Never.Colorize(v.Message)})
			}
			if ev.Type == engine.DiagEvent {
				d := ev.Payload().(engine.DiagEventPayload)
				if d.Severity == diag.Warning || d.Severity == diag.Error {
					sink.add(fmt.Sprintf("%s: %s", d.Severity, strings.TrimSpace(colors.Never.Colorize(d.Message))))
				}
			}
		}
		return err
	}
	res.Snapshot, res.Err = op.RunStep(*s.Project, target, opts, dryRun, nil, validate, "")
	res.Diagnostics = sink.messages()
	res.Notes = notes.messages()
	return res
}

// runProgram is the Go language host's part: a context on the engine's
// monitor with the stack's configuration, then the program.
func runProgram(program pulumi.RunFunc, info plugin.RunInfo, engineAddr string) error {
	config := map[string]string{}
	for k, v := range info.Config {
		config[k.String()] = v
	}
	var secretKeys []string
	for _, k := range info.ConfigSecretKeys {
		secretKeys = append(secretKeys, k.String())
	}
	//nolint:usetesting // the context outlives any one test's
	ctx, err := pulumi.NewContext(context.Background(), pulumi.RunInfo{
		Project:          info.Project,
		Stack:            info.Stack,
		Config:           config,
		ConfigSecretKeys: secretKeys,
		Parallel:         info.Parallel,
		DryRun:           info.DryRun,
		MonitorAddr:      info.MonitorAddress,
		EngineAddr:       engineAddr,
	})
	if err != nil {
		return fmt.Errorf("create program context: %w", err)
	}
	keys := slices.Sorted(maps.Keys(config))
	return pulumi.RunWithContext(bpaconfig.WithKeys(ctx, keys), program)
}

// steps are the engine's resource steps, in the order it announced them.
func steps(events []engine.Event) []Step {
	var out []Step
	for _, ev := range events {
		if ev.Type != engine.ResourcePreEvent {
			continue
		}
		p := ev.Payload().(engine.ResourcePreEventPayload)
		m := p.Metadata
		if m.Type == resource.RootStackType {
			continue
		}
		s := Step{Op: m.Op, URN: m.URN, Type: string(m.Type), Keys: m.Keys, Diffs: m.Diffs}
		switch {
		case m.New != nil && m.New.State != nil:
			s.Inputs = m.New.State.Inputs
		case m.Old != nil && m.Old.State != nil:
			s.Inputs = m.Old.State.Inputs
		}
		out = append(out, s)
	}
	return out
}

// diagSink keeps the messages written to it, sorted.
type diagSink struct {
	mu   sync.Mutex
	msgs []string
}

func (d *diagSink) sink() diag.Sink {
	return diag.DefaultSink(io.Discard, d.writer(), diag.FormatOptions{Color: colors.Never})
}

func (d *diagSink) writer() io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		d.add(strings.TrimSpace(string(p)))
		return len(p), nil
	})
}

func (d *diagSink) add(msg string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.msgs = append(d.msgs, msg)
}

func (d *diagSink) messages() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := append([]string(nil), d.msgs...)
	sort.Strings(out)
	return out
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// EmptyAfterUpdate lists the inputs that a preview showed as unknown (they
// come from another resource's outputs) and that the update then filled
// with nothing: a null or an empty string. Each is an output the fake cloud
// does not return and the real provider does, so a run against real
// providers would differ from the test's.
func EmptyAfterUpdate(preview, update *Result) []string {
	var out []string
	for _, p := range preview.Steps {
		u, ok := update.Step(p.URN)
		if !ok || p.Inputs == nil || u.Inputs == nil {
			continue
		}
		walkUnknowns(resource.NewProperty(p.Inputs), resource.NewProperty(u.Inputs), string(p.URN), &out)
	}
	sort.Strings(out)
	return out
}

func walkUnknowns(p, u resource.PropertyValue, path string, out *[]string) {
	p, u = plain(p), plain(u)
	switch {
	case p.IsComputed() || p.IsOutput() && !p.OutputValue().Known:
		if u.IsNull() || u.IsString() && u.StringValue() == "" || u.IsComputed() {
			*out = append(*out, path)
		}
	case p.IsObject():
		for k, v := range p.ObjectValue() {
			var next resource.PropertyValue
			if u.IsObject() {
				next = u.ObjectValue()[k]
			}
			walkUnknowns(v, next, path+"."+string(k), out)
		}
	case p.IsArray():
		for i, v := range p.ArrayValue() {
			var next resource.PropertyValue
			if u.IsArray() && i < len(u.ArrayValue()) {
				next = u.ArrayValue()[i]
			}
			walkUnknowns(v, next, fmt.Sprintf("%s[%d]", path, i), out)
		}
	}
}
