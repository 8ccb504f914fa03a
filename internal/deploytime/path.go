package deploytime

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/bpa-infra/bpa-infra/internal/harness"
)

// Node is one thing the engine creates and waits for: a custom resource, a
// provider or a remote component (whose invisible children are folded into
// its duration). Local components are not nodes: they take no time, and a
// dependency on one is a dependency on its descendants.
type Node struct {
	URN      string
	Type     string
	Name     string
	Seconds  int
	Why      string
	Modelled bool
	// Preds are the nodes this one cannot start before, sorted.
	Preds []string
}

// Graph is the engine's wait-for graph of a recording.
type Graph struct {
	Stack string
	nodes map[string]*Node
	urns  []string // sorted
	// Missing are dependency or provider URNs that name nothing recorded.
	Missing []string
}

// Build rebuilds the wait-for graph. A node waits for:
//   - its recorded Dependencies (DependsOn plus every resource whose
//     outputs feed an input);
//   - its provider (a provider is configured before its first resource is
//     created; the kubernetes provider itself waits for the kubeconfig);
//   - the Dependencies of each local-component ancestor up to the first
//     custom or remote ancestor, and that ancestor itself: a child is
//     registered only once its parent's registration, which awaits the
//     parent's own dependencies, has returned.
//
// A dependency naming a local component stands for all its descendants,
// walking through nested components and stopping at custom resources and
// remote components, as the Go SDK's addDependency (sdk/go/pulumi/rpc.go)
// does. The Go SDK already expands local components before registering, so
// recordings of the real program carry only custom and remote URNs; the
// expansion here covers hand-built recordings and other SDKs.
func Build(rec *harness.Recording) *Graph {
	g := &Graph{Stack: rec.Stack, nodes: map[string]*Node{}}
	byURN := make(map[string]*harness.Resource, len(rec.Resources))
	children := map[string][]*harness.Resource{}
	for _, r := range rec.Resources {
		byURN[r.URN] = r
		if r.Parent != "" {
			children[r.Parent] = append(children[r.Parent], r)
		}
	}
	isNode := func(r *harness.Resource) bool { return r.Custom || r.Remote }
	missing := map[string]bool{}

	var expand func(urn string, from *harness.Resource, into map[string]bool)
	expand = func(urn string, from *harness.Resource, into map[string]bool) {
		r, ok := byURN[urn]
		switch {
		case !ok:
			missing[urn] = true
		case isNode(r):
			into[urn] = true
		default:
			for _, c := range children[urn] {
				if c.URN != from.URN { // never wait for oneself
					expand(c.URN, from, into)
				}
			}
		}
	}

	for _, r := range rec.Resources {
		if !isNode(r) {
			continue
		}
		secs, why, ok := EstimateOf(r)
		n := &Node{URN: r.URN, Type: r.Type, Name: r.Name, Seconds: secs, Why: why, Modelled: ok}
		preds := map[string]bool{}
		for _, d := range r.Dependencies {
			expand(d, r, preds)
		}
		if r.Provider != "" {
			if _, ok := byURN[r.Provider]; ok {
				preds[r.Provider] = true
			} else {
				missing[r.Provider] = true
			}
		}
		for a := byURN[r.Parent]; a != nil; a = byURN[a.Parent] {
			if isNode(a) {
				preds[a.URN] = true
				break
			}
			for _, d := range a.Dependencies {
				expand(d, r, preds)
			}
		}
		delete(preds, r.URN)
		n.Preds = harness.SortedKeys(preds)
		g.nodes[r.URN] = n
		g.urns = append(g.urns, r.URN)
	}
	sort.Strings(g.urns)
	g.Missing = harness.SortedKeys(missing)
	return g
}

// Node returns the node with that URN, or nil.
func (g *Graph) Node(urn string) *Node { return g.nodes[urn] }

// URNs returns every node's URN in order.
func (g *Graph) URNs() []string { return append([]string(nil), g.urns...) }

// WaitsFor reports whether urn transitively waits for on.
func (g *Graph) WaitsFor(urn, on string) bool { return g.WaitChain(urn, on) != nil }

// WaitChain returns one shortest chain urn, ..., on of nodes each waiting
// for the next, or nil when urn does not wait for on. Ties go to the
// smaller URN, so the answer is stable.
func (g *Graph) WaitChain(urn, on string) []string {
	if g.nodes[urn] == nil || g.nodes[on] == nil || urn == on {
		return nil
	}
	next := map[string]string{urn: ""}
	queue := []string{urn}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, p := range g.nodes[cur].Preds {
			if _, seen := next[p]; seen {
				continue
			}
			next[p] = cur
			if p == on {
				chain := []string{on}
				for c := cur; c != ""; c = next[c] {
					chain = append(chain, c)
				}
				for i, j := 0, len(chain)-1; i < j; i, j = i+1, j-1 {
					chain[i], chain[j] = chain[j], chain[i]
				}
				return chain
			}
			queue = append(queue, p)
		}
	}
	return nil
}

// Step is one resource of the critical path, times in seconds from the
// start of the deployment.
type Step struct {
	URN             string `json:"urn"`
	Type            string `json:"type"`
	Name            string `json:"name"`
	DurationSeconds int    `json:"durationSeconds"`
	StartSeconds    int    `json:"startSeconds"`
	FinishSeconds   int    `json:"finishSeconds"`
}

// Result is the deployment-time estimate of one recording.
type Result struct {
	Stack string `json:"stack,omitempty"`
	// Resources is how many nodes were scheduled.
	Resources int `json:"resources"`
	// SerialSeconds is the sum of every node's duration: the time a
	// deployment creating one resource at a time would take.
	SerialSeconds int `json:"serialSeconds"`
	// CriticalPathSeconds is the earliest the whole deployment can finish
	// with unlimited parallelism: the longest chain of waits.
	CriticalPathSeconds int    `json:"criticalPathSeconds"`
	Chain               []Step `json:"chain"`
	// UnmodelledTypes fell back to DefaultSeconds.
	UnmodelledTypes []string `json:"unmodelledTypes,omitempty"`
	// MissingDependencies name nothing in the recording and were ignored.
	MissingDependencies []string `json:"missingDependencies,omitempty"`
	// CycleEdges ("a -> b": a waits for b) were dropped to break cycles; a
	// real engine would deadlock or reject them.
	CycleEdges []string `json:"cycleEdges,omitempty"`
	// NodeRoll is a change of every node's launch template (a new AMI, a
	// new instance type): the node groups that wait for one another roll
	// one after another.
	NodeRoll NodeRoll `json:"nodeRoll"`

	schedule map[string]Step
}

// NodeRoll is how long rolling every node group takes.
type NodeRoll struct {
	// Seconds is the longest chain of node groups that wait for one
	// another, NodeUpdateSeconds each.
	Seconds int `json:"seconds"`
	// Chain is that chain's node groups, in roll order.
	Chain []string `json:"chain"`
}

// At returns the scheduled window of any node, on the critical path or not.
func (r Result) At(urn string) (Step, bool) {
	s, ok := r.schedule[urn]
	return s, ok
}

// Analyze builds the graph of rec and schedules it.
func Analyze(rec *harness.Recording) Result { return Build(rec).Analyze() }

// Analyze schedules every node at its earliest start (the latest finish of
// its predecessors) and extracts the critical path, ending at the node that
// finishes last and following, backwards, the predecessor that finishes
// last. Ties go to the longer duration, then the smaller URN.
func (g *Graph) Analyze() Result {
	res := Result{Stack: g.Stack, Resources: len(g.urns), MissingDependencies: g.Missing, schedule: map[string]Step{}}
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[string]int{}
	finish := map[string]int{}
	binding := map[string]string{}
	cut := map[string]bool{}
	var visit func(urn string)
	visit = func(urn string) {
		state[urn] = visiting
		n := g.nodes[urn]
		start, best := 0, ""
		for _, p := range n.Preds {
			switch state[p] {
			case visiting:
				cut[urn+" -> "+p] = true
				continue
			case unvisited:
				visit(p)
			}
			if best == "" || better(g, finish, p, best) {
				best = p
			}
		}
		if best != "" {
			start = finish[best]
		}
		finish[urn] = start + n.Seconds
		binding[urn] = best
		state[urn] = done
		res.schedule[urn] = Step{URN: urn, Type: n.Type, Name: n.Name,
			DurationSeconds: n.Seconds, StartSeconds: start, FinishSeconds: finish[urn]}
		res.SerialSeconds += n.Seconds
		if !n.Modelled {
			res.UnmodelledTypes = append(res.UnmodelledTypes, n.Type)
		}
	}
	last := ""
	for _, urn := range g.urns {
		if state[urn] == unvisited {
			visit(urn)
		}
	}
	for _, urn := range g.urns {
		if last == "" || better(g, finish, urn, last) {
			last = urn
		}
	}
	for cur := last; cur != ""; cur = binding[cur] {
		s := res.schedule[cur]
		res.Chain = append(res.Chain, s)
		if s.StartSeconds == 0 {
			break
		}
	}
	for i, j := 0, len(res.Chain)-1; i < j; i, j = i+1, j-1 {
		res.Chain[i], res.Chain[j] = res.Chain[j], res.Chain[i]
	}
	if last != "" {
		res.CriticalPathSeconds = finish[last]
	}
	res.UnmodelledTypes = uniqueSorted(res.UnmodelledTypes)
	res.CycleEdges = harness.SortedKeys(cut)
	res.NodeRoll = g.nodeRoll()
	if res.Chain == nil {
		res.Chain = []Step{}
	}
	return res
}

// better orders candidates: later finish, then longer duration, then the
// smaller URN.
func better(g *Graph, finish map[string]int, a, b string) bool {
	if finish[a] != finish[b] {
		return finish[a] > finish[b]
	}
	if da, db := g.nodes[a].Seconds, g.nodes[b].Seconds; da != db {
		return da > db
	}
	return a < b
}

func uniqueSorted(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// WriteText prints the estimate for a terminal:
//
//	Serial sum: 2h41m10s  Critical path: 26m7s (14 resources)
//	   start  duration  resource
//	   00:00      10s   aws:ec2/vpc:Vpc  network-vpc
func (r Result) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Serial sum: %s  Critical path: %s (%d resources)\n",
		human(r.SerialSeconds), human(r.CriticalPathSeconds), len(r.Chain))
	fmt.Fprintf(&b, "  %8s  %8s  %s\n", "start", "duration", "resource")
	for _, s := range r.Chain {
		fmt.Fprintf(&b, "  %8s  %8s  %s  %s\n", clock(s.StartSeconds), human(s.DurationSeconds), s.Type, s.Name)
	}
	if len(r.NodeRoll.Chain) > 0 {
		fmt.Fprintf(&b, "Rolling every node (a launch template change): %s, %s one after another\n",
			human(r.NodeRoll.Seconds), strings.Join(r.NodeRoll.Chain, " -> "))
	}
	if len(r.UnmodelledTypes) > 0 {
		fmt.Fprintf(&b, "Assumed %ds for types the table does not list: %s\n", DefaultSeconds, strings.Join(r.UnmodelledTypes, ", "))
	}
	if len(r.CycleEdges) > 0 {
		fmt.Fprintf(&b, "Cycles broken by dropping: %s\n", strings.Join(r.CycleEdges, "; "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// human renders seconds as 1h2m3s, 26m7s or 45s.
func human(sec int) string {
	return (time.Duration(sec) * time.Second).String()
}

// clock renders an offset as mm:ss, or h:mm:ss past an hour.
func clock(sec int) string {
	if sec >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", sec/3600, sec%3600/60, sec%60)
	}
	return fmt.Sprintf("%02d:%02d", sec/60, sec%60)
}

// nodeRoll finds the longest chain of node groups each waiting for the one
// before: only those roll one at a time, the rest alongside them.
func (g *Graph) nodeRoll() NodeRoll {
	var groups []string
	for _, urn := range g.urns {
		if g.nodes[urn].Type == nodeGroupType {
			groups = append(groups, urn)
		}
	}
	longest := map[string][]string{}
	var chain func(urn string) []string
	chain = func(urn string) []string {
		if c, ok := longest[urn]; ok {
			return c
		}
		var best []string
		for _, other := range groups {
			if other != urn && g.WaitsFor(urn, other) {
				if c := chain(other); len(c) > len(best) {
					best = c
				}
			}
		}
		longest[urn] = append(append([]string{}, best...), urn)
		return longest[urn]
	}
	var out []string
	for _, urn := range groups {
		if c := chain(urn); len(c) > len(out) {
			out = c
		}
	}
	names := make([]string, len(out))
	for i, urn := range out {
		names[i] = g.nodes[urn].Name
	}
	return NodeRoll{Seconds: len(out) * NodeUpdateSeconds, Chain: names}
}
