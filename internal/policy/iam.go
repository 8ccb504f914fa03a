package policy

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/bpa-infra/bpa-infra/internal/harness"
)

// unscopedActions are the actions AWS does not authorise per resource, so an
// identity policy can only grant them on "*" (Service Authorization
// Reference: no resource types listed for the action).
var unscopedActions = []string{
	"ecr:GetAuthorizationToken",
	"sts:GetCallerIdentity",
	"ec2:Describe*",
	"ec2:DescribeVolumes",
	"logs:DescribeLogGroups",
	"cloudwatch:PutMetricData",
}

// adminPolicies are AWS managed policies that grant every action of IAM or
// of everything.
var adminPolicies = []string{"AdministratorAccess", "PowerUserAccess", "IAMFullAccess"}

type statement struct {
	Effect    string
	Principal any
	Action    stringOrList
	NotAction stringOrList
	Resource  stringOrList
	Condition map[string]map[string]stringOrList
}

// deniesPlainHTTP reports whether a resource's policy refuses every request
// made without TLS.
func deniesPlainHTTP(r *Subject) bool {
	docs, err := documents(r)
	if err != nil {
		return false
	}
	for _, stmts := range docs {
		for _, st := range stmts {
			if st.Effect == "Deny" && slices.Equal(st.Condition["Bool"]["aws:SecureTransport"], stringOrList{"false"}) {
				return true
			}
		}
	}
	return false
}

// stringOrList takes the two shapes IAM allows for Action and Resource.
type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(s))
}

// documents returns the policy documents a resource carries, by where they
// sit: an unknown document is an error (rules read a resolved recording).
func documents(r *Subject) (map[string][]statement, error) {
	raw := map[string]any{}
	switch r.Type {
	case typeRole: // trust policies grant sts:AssumeRole to a principal, not permissions
		for i, p := range list(r.Get("inlinePolicies")) {
			raw[fmt.Sprintf("inlinePolicies.%d", i)] = dig(p, "policy")
		}
	default:
		if v := r.Get("policy"); v != nil {
			raw["policy"] = v
		}
	}
	out := map[string][]statement{}
	for where, v := range raw {
		text, ok := v.(string)
		if !ok || text == harness.UnknownMarker || text == harness.SecretMarker {
			return nil, fmt.Errorf("%s is not known to the plan, so it cannot be checked (evaluate a resolved recording)", where)
		}
		var doc struct{ Statement json.RawMessage }
		if err := json.Unmarshal([]byte(text), &doc); err != nil {
			return nil, fmt.Errorf("%s is not a policy document: %w", where, err)
		}
		var stmts []statement
		if err := json.Unmarshal(doc.Statement, &stmts); err != nil {
			var one statement
			if err := json.Unmarshal(doc.Statement, &one); err != nil {
				return nil, fmt.Errorf("%s has unreadable statements: %w", where, err)
			}
			stmts = []statement{one}
		}
		out[where] = stmts
	}
	return out, nil
}

func checkWildcardActions(_ *Plan, r *Subject) []string {
	if r.Type == typePolicyAttachment {
		arn, _ := r.Get("policyArn").(string)
		for _, admin := range adminPolicies {
			if strings.HasSuffix(arn, ":policy/"+admin) {
				return []string{"attaches " + admin}
			}
		}
		return nil
	}
	allows, err := allowStatements(r)
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for _, st := range allows {
		if len(st.NotAction) > 0 {
			out = append(out, fmt.Sprintf("%s allows everything but %v (NotAction)", st.where, st.NotAction))
		}
		for _, a := range st.Action {
			if !isWildcardAction(a) || (r.Type == typeKMSKey && a == "kms:*" && onlyAccountRoot(st.Principal)) {
				continue
			}
			out = append(out, fmt.Sprintf("%s allows %q", st.where, a))
		}
	}
	return out
}

func checkWildcardResources(_ *Plan, r *Subject) []string {
	allows, err := allowStatements(r)
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for _, st := range allows {
		if !slices.Contains(st.Resource, "*") {
			continue
		}
		for _, a := range st.Action {
			if !slices.Contains(unscopedActions, a) {
				out = append(out, fmt.Sprintf("%s allows %q on every resource", st.where, a))
			}
		}
	}
	return out
}

// located is a statement with where it sits ("policy statement 0").
type located struct {
	statement
	where string
}

// allowStatements returns the Allow statements of a resource's documents,
// in a stable order.
func allowStatements(r *Subject) ([]located, error) {
	docs, err := documents(r)
	if err != nil {
		return nil, err
	}
	var out []located
	for _, where := range slices.Sorted(maps.Keys(docs)) {
		for i, st := range docs[where] {
			if st.Effect == "Allow" {
				out = append(out, located{st, fmt.Sprintf("%s statement %d", where, i)})
			}
		}
	}
	return out, nil
}

func isWildcardAction(a string) bool { return a == "*" || strings.HasSuffix(a, ":*") }

// onlyAccountRoot reports whether a key policy principal is the account root
// alone: AWS's default key policy, which hands the key's administration to
// the account's IAM policies.
func onlyAccountRoot(principal any) bool {
	ids := strs(dig(principal, "AWS"))
	if s, ok := dig(principal, "AWS").(string); ok {
		ids = []string{s}
	}
	if len(ids) == 0 {
		return false
	}
	for _, id := range ids {
		if !strings.HasSuffix(id, ":root") {
			return false
		}
	}
	return true
}
