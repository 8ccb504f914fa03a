// Package plan renders a recorded run of the program as an offline preview:
// a readable tree, or JSON in the shape of `pulumi preview --json`.
package plan

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/bpa-infra/bpa-infra/internal/harness"
)

// Step mirrors one entry of `pulumi preview --json`'s steps.
type Step struct {
	Op       string `json:"op"`
	URN      string `json:"urn"`
	Provider string `json:"provider,omitempty"`
	NewState State  `json:"newState"`
}

// State mirrors the newState of a preview step.
type State struct {
	URN                  string              `json:"urn"`
	Type                 string              `json:"type"`
	Custom               bool                `json:"custom"`
	Parent               string              `json:"parent,omitempty"`
	Inputs               map[string]any      `json:"inputs"`
	Dependencies         []string            `json:"dependencies,omitempty"`
	PropertyDependencies map[string][]string `json:"propertyDependencies,omitempty"`
	Protect              bool                `json:"protect"`
	RetainOnDelete       bool                `json:"retainOnDelete,omitempty"`
	Provider             string              `json:"provider,omitempty"`
	IgnoreChanges        []string            `json:"ignoreChanges,omitempty"`
}

// Preview is the whole document.
type Preview struct {
	Steps         []Step         `json:"steps"`
	ChangeSummary map[string]int `json:"changeSummary"`
}

// StackURN is the URN of the root stack resource of a recording.
func StackURN(rec *harness.Recording) string {
	return fmt.Sprintf("urn:pulumi:%s::%s::pulumi:pulumi:Stack::%s-%s", rec.Stack, rec.Project, rec.Project, rec.Stack)
}

// Build turns a recording into preview steps. Every step is a create: the
// offline plan has no state to compare against.
func Build(rec *harness.Recording) Preview {
	stack := StackURN(rec)
	steps := []Step{{Op: "create", URN: stack, NewState: State{
		URN: stack, Type: "pulumi:pulumi:Stack", Inputs: map[string]any{},
	}}}
	for _, r := range rec.Resources {
		steps = append(steps, Step{Op: "create", URN: r.URN, Provider: r.Provider, NewState: State{
			URN: r.URN, Type: r.Type, Custom: r.Custom, Parent: r.Parent,
			Inputs: r.Plain(), Dependencies: r.Dependencies, PropertyDependencies: r.PropertyDependencies,
			Protect: r.Protect, RetainOnDelete: r.RetainOnDelete, Provider: r.Provider, IgnoreChanges: r.IgnoreChanges,
		}})
	}
	return Preview{Steps: steps, ChangeSummary: map[string]int{"create": len(steps)}}
}

// WriteJSON writes a preview, or a document embedding one, as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// WriteText writes the preview as a tree of components and resources; with
// details, each resource's inputs and options follow it.
func WriteText(w io.Writer, rec *harness.Recording, p Preview, details bool) error {
	children := map[string][]Step{}
	stack := StackURN(rec)
	for _, s := range p.Steps[1:] {
		parent := s.NewState.Parent
		if parent == "" { // providers registered without a parent belong to the stack
			parent = stack
		}
		children[parent] = append(children[parent], s)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Offline preview of stack %q (project %s), run under the Pulumi mock monitor.\n", rec.Stack, rec.Project)
	fmt.Fprintf(&b, "Values shown as %s are only known after deployment; %s values are never shown.\n\n",
		harness.UnknownMarker, harness.SecretMarker)
	fmt.Fprintf(&b, "    %-52s %s\n", "Type", "Name")
	fmt.Fprintf(&b, " +  %-52s %s-%s\n", "pulumi:pulumi:Stack", rec.Project, rec.Stack)
	var walk func(parent, indent string)
	walk = func(parent, indent string) {
		kids := children[parent]
		for i, s := range kids {
			branch, next := "├─ ", "│  "
			if i == len(kids)-1 {
				branch, next = "└─ ", "   "
			}
			name := s.URN[strings.LastIndex(s.URN, "::")+2:]
			flags := ""
			if s.NewState.Protect {
				flags = "  [protect]"
			}
			fmt.Fprintf(&b, " +  %-52s %s%s\n", indent+branch+s.NewState.Type, name, flags)
			if details {
				writeDetails(&b, s, indent+next)
			}
			walk(s.URN, indent+next)
		}
	}
	walk(stack, "")
	fmt.Fprintf(&b, "\nResources:\n    + %d to create\n", p.ChangeSummary["create"])
	_, err := io.WriteString(w, b.String())
	return err
}

func writeDetails(b *strings.Builder, s Step, indent string) {
	pad := "        " + indent + "   "
	for _, k := range harness.SortedKeys(s.NewState.Inputs) {
		v, _ := json.Marshal(s.NewState.Inputs[k])
		fmt.Fprintf(b, "%s%s: %s\n", pad, k, v)
	}
	if len(s.NewState.IgnoreChanges) > 0 {
		fmt.Fprintf(b, "%s(ignoreChanges: %s)\n", pad, strings.Join(s.NewState.IgnoreChanges, ", "))
	}
	deps := append([]string(nil), s.NewState.Dependencies...)
	sort.Strings(deps)
	for _, d := range deps {
		fmt.Fprintf(b, "%s(after %s)\n", pad, d[strings.LastIndex(d, "::")+2:])
	}
}

// Outputs are the stack's exports as a preview shows them: values, or
// [secret] and [unknown] in their place.
func Outputs(rec *harness.Recording) map[string]any {
	out := map[string]any{}
	for name, o := range rec.Outputs {
		switch {
		case o.Secret:
			out[name] = "[secret]"
		case !o.Known:
			out[name] = "[unknown]"
		default:
			out[name] = o.Value
		}
	}
	return out
}

// WriteOutputs writes the stack's exports, one per line in name order.
func WriteOutputs(w io.Writer, rec *harness.Recording) error {
	outs := Outputs(rec)
	names := make([]string, 0, len(outs))
	for n := range outs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v := outs[n]
		text, ok := v.(string)
		if !ok {
			b, err := json.Marshal(v)
			if err != nil {
				return fmt.Errorf("render output %s: %w", n, err)
			}
			text = string(b)
		}
		if _, err := fmt.Fprintf(w, "    %-28s %s\n", n, text); err != nil {
			return err
		}
	}
	return nil
}
