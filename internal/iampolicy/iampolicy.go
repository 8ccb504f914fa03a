// Package iampolicy builds IAM policy documents from typed statements whose
// principals and resources may be outputs of other resources, without an
// invoke and without ApplyT.
package iampolicy

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Statement is one IAM policy statement. Effect defaults to Allow.
type Statement struct {
	Sid       string
	Effect    string
	Principal Principal
	Actions   []string
	Resources pulumi.StringArrayInput
	Condition []Condition
}

// Principal names who a trust or resource policy applies to.
type Principal struct {
	Type        string // "Service", "AWS" or "Federated"
	Identifiers pulumi.StringArrayInput
}

// Condition is one condition operator applied to a context key.
type Condition struct {
	Test     string // e.g. "StringEquals"
	Variable string
	Values   pulumi.StringArrayInput
}

// Document renders the statements as a JSON policy document.
func Document(statements ...Statement) pulumi.StringOutput {
	stmts := make(pulumi.Array, 0, len(statements))
	for _, s := range statements {
		effect := s.Effect
		if effect == "" {
			effect = "Allow"
		}
		m := pulumi.Map{"Effect": pulumi.String(effect), "Action": pulumi.ToStringArray(s.Actions)}
		if s.Sid != "" {
			m["Sid"] = pulumi.String(s.Sid)
		}
		if s.Principal.Type != "" {
			m["Principal"] = pulumi.Map{s.Principal.Type: s.Principal.Identifiers}
		}
		if s.Resources != nil {
			m["Resource"] = s.Resources
		}
		if len(s.Condition) > 0 {
			cond := pulumi.Map{}
			for _, c := range s.Condition {
				inner, ok := cond[c.Test].(pulumi.Map)
				if !ok {
					inner = pulumi.Map{}
					cond[c.Test] = inner
				}
				inner[c.Variable] = c.Values
			}
			m["Condition"] = cond
		}
		stmts = append(stmts, m)
	}
	return pulumi.JSONMarshal(pulumi.Map{"Version": pulumi.String("2012-10-17"), "Statement": stmts})
}

// Service is a principal for an AWS service such as "ec2.amazonaws.com".
func Service(names ...string) Principal {
	return Principal{Type: "Service", Identifiers: pulumi.ToStringArray(names)}
}

// Strings is a convenience for literal resource or value lists.
func Strings(s ...string) pulumi.StringArray { return pulumi.ToStringArray(s) }

// AssumeRole is the trust policy letting a service assume a role, under the
// given conditions (services that support it get an aws:SourceAccount guard
// against the confused deputy).
func AssumeRole(service string, conditions ...Condition) pulumi.StringOutput {
	return Document(Statement{Principal: Service(service), Actions: []string{"sts:AssumeRole"}, Condition: conditions})
}

// SourceAccount limits a service principal to acting for one account.
func SourceAccount(accountID pulumi.StringInput) Condition {
	return Condition{Test: "StringEquals", Variable: "aws:SourceAccount", Values: pulumi.StringArray{accountID}}
}

// Partition is the AWS partition a region belongs to, for building ARNs
// without a lookup.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	default:
		return "aws"
	}
}

// AccountRoot is the account principal that key policies must name so that
// IAM policies, not only the key policy, can grant use of a key.
func AccountRoot(region string, accountID pulumi.StringInput) pulumi.StringOutput {
	return pulumi.Sprintf("arn:%s:iam::%s:root", Partition(region), accountID)
}
