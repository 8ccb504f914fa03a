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
	// postgres: the RDS-managed master secret; the password is made up and
	// tests check that it never appears in plain text.
	"aws:secretsmanager/getSecretVersion:getSecretVersion": func(args resource.PropertyMap) map[string]any {
		arn := args["secretId"].StringValue()
		return map[string]any{
			"arn": arn, "id": arn + "|AWSCURRENT", "secretId": arn, "versionId": "mock-version", "versionStage": "AWSCURRENT",
			"secretString": `{"username":"admin","password":"mock-master-password-Zq8v"}`,
		}
	},
	// cluster: us-west-2's Elastic Load Balancing account, which writes
	// access logs in regions opened before August 2022.
	"aws:elb/getServiceAccount:getServiceAccount": func(resource.PropertyMap) map[string]any {
		return map[string]any{"arn": "arn:aws:iam::797873946194:root", "id": "797873946194"}
	},
	"aws:ssm/getParameter:getParameter": func(args resource.PropertyMap) map[string]any {
		name := args["name"].StringValue()
		return map[string]any{"name": name, "value": "ami-0123456789abcdef0", "type": "String", "id": name}
	},
	// mongo: an Atlas cluster reached through two private endpoints, the
	// stack's own (the id the mock gives VPC endpoint "mongo-endpoint") and
	// another VPC's, so the program must pick its own endpoint's SRV string.
	"mongodbatlas:index/getAdvancedCluster:getAdvancedCluster": func(args resource.PropertyMap) map[string]any {
		name := args["name"].StringValue()
		endpoint := func(id, host string) map[string]any {
			return map[string]any{
				"srvConnectionString": "mongodb+srv://" + host + ".abcde.mongodb.net",
				"connectionString":    "mongodb://" + host + "-shard-00-00.abcde.mongodb.net:1024",
				"type":                "MONGOD",
				"endpoints":           []any{map[string]any{"endpointId": id, "providerName": "AWS", "region": "US_WEST_2"}},
			}
		}
		return map[string]any{
			"name": name, "projectId": args["projectId"].StringValue(), "id": name, "stateName": "IDLE",
			"connectionStrings": []any{map[string]any{
				"standardSrv": "mongodb+srv://" + name + ".abcde.mongodb.net",
				"privateEndpoints": []any{
					endpoint("vpce-0another0vpc0000", name+"-pl-1"),
					endpoint("mongo-endpoint-id", name+"-pl-0"),
				},
			}},
		}
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
	for _, extras := range []map[string]func(*Resource) map[string]any{resolvedExtras, previewOutputs} {
		extra, ok := extras[r.Type]
		if !ok {
			continue
		}
		for k, v := range extra(r) {
			out[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
		}
	}
	return out
}

// knownInPreview are the types whose id and resolvedExtras the mock returns
// even in a preview, for the same reason as previewOutputs: their outputs
// flow into secrets (connection facts stored in Secrets Manager and
// Kubernetes secrets, the postgresql provider's password).
var knownInPreview = map[string]bool{
	"aws:rds/instance:Instance":                                                true,
	"aws:ec2/vpcEndpoint:VpcEndpoint":                                          true,
	"mongodbatlas:index/project:Project":                                       true,
	"mongodbatlas:index/advancedCluster:AdvancedCluster":                       true,
	"mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService": true,
	"mongodbatlas:index/databaseUser:DatabaseUser":                             true,
}

// previewState is what a preview knows of a new resource: its id and
// outputs only where previewOutputs or knownInPreview say so.
func previewState(r *Resource, inputs resource.PropertyMap) (string, resource.PropertyMap) {
	if knownInPreview[r.Type] {
		return resolvedID(r), resolvedOutputs(r, inputs)
	}
	out := resource.PropertyMap{}
	if extra, ok := previewOutputs[r.Type]; ok {
		for k, v := range extra(r) {
			out[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
		}
	}
	return "", out
}

// resolvedExtras adds, per resource type, the outputs a finished deployment
// would have that other resources read (endpoints, generated names).
var resolvedExtras = map[string]func(r *Resource) map[string]any{
	// postgres
	"aws:rds/instance:Instance": func(r *Resource) map[string]any {
		id := r.Inputs["identifier"].StringValue()
		address := id + ".cmockabcdefg.us-west-2.rds.amazonaws.com"
		return map[string]any{
			"address":  address,
			"port":     5432,
			"endpoint": address + ":5432",
			"masterUserSecrets": []any{map[string]any{
				"secretArn":    "arn:aws:secretsmanager:us-west-2:" + MockAccountID + ":secret:rds!db-mock-" + id,
				"kmsKeyId":     "arn:aws:kms:us-west-2:" + MockAccountID + ":key/mock",
				"secretStatus": "active",
			}},
		}
	},
	// mongo: what Atlas returns once its endpoint service is ready
	"mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint": func(*Resource) map[string]any {
		return map[string]any{
			"endpointServiceName": "com.amazonaws.vpce.us-west-2.vpce-svc-0mock0atlas000000",
			"privateLinkId":       "65f0c0ffee0000000000a7a5",
			"status":              "WAITING_FOR_USER",
		}
	},
}

// GeneratedPasswordPrefix starts every password the mock generates; a test
// that finds it in printed output has found a leak.
const GeneratedPasswordPrefix = "mock-generated-password-"

// previewOutputs are outputs the mock returns even in a preview. The SDK
// mock monitor cannot carry a secret whose value is unknown (it fails with
// "malformed RPC secret"), so values that only ever flow into secrets are
// made known here; they still print as [secret].
var previewOutputs = map[string]func(r *Resource) map[string]any{
	"random:index/randomPassword:RandomPassword": func(r *Resource) map[string]any {
		return map[string]any{"result": GeneratedPasswordPrefix + r.Name}
	},
}
