package harness

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// MockAccountID is the AWS account the mocks pretend to run in.
const MockAccountID = "123456789012"

// invokeResults answers the provider functions the program calls.
var invokeResults = map[string]func(args resource.PropertyMap) map[string]any{
	"aws:index/getCallerIdentity:getCallerIdentity": func(resource.PropertyMap) map[string]any {
		return map[string]any{
			"accountId": MockAccountID,
			"arn":       "arn:aws:iam::" + MockAccountID + ":user/mock",
			"userId":    "AIDAMOCK",
			"id":        MockAccountID,
		}
	},
	"aws:index/getPartition:getPartition": func(resource.PropertyMap) map[string]any {
		return map[string]any{"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
	},
	"aws:ssm/getParameter:getParameter": func(args resource.PropertyMap) map[string]any {
		name := args["name"].StringValue()
		return map[string]any{"name": name, "value": "ami-0123456789abcdef0", "type": "String", "id": name}
	},
}

// resolvedID is a made-up physical id that names the resource it belongs to.
func resolvedID(r *Resource) string {
	return r.Name + "-id"
}

// resolvedOutputs echoes the inputs and adds the outputs that other
// resources commonly read.
func resolvedOutputs(r *Resource, inputs resource.PropertyMap) resource.PropertyMap {
	out := inputs.Copy()
	if strings.HasPrefix(r.Type, "aws:") {
		service := strings.SplitN(strings.TrimPrefix(r.Type, "aws:"), "/", 2)[0]
		out["arn"] = resource.NewProperty(fmt.Sprintf("arn:aws:%s:us-west-2:%s:%s/%s", service, MockAccountID,
			r.Type[strings.LastIndex(r.Type, ":")+1:], r.Name))
	}
	if _, ok := out["name"]; !ok {
		out["name"] = resource.NewProperty(r.Name)
	}
	if extra, ok := resolvedExtras[r.Type]; ok {
		for k, v := range extra(r) {
			out[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
		}
	}
	return out
}

// resolvedExtras adds, per resource type, the outputs a finished deployment
// would have that other resources read (endpoints, generated names).
var resolvedExtras = map[string]func(r *Resource) map[string]any{}
