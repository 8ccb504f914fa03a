// Package cloudfake is the one source of what the fake cloud answers: the
// physical ids, the outputs a provider computes beyond the inputs it was
// given (ARNs, endpoints, versions, generated names) and the results of the
// provider functions the program invokes. The SDK-mock harness
// (internal/harness) and the engine tests' fake providers (enginetest/) both
// answer from here, so the two cannot drift.
//
// Every value is visibly fake (account 123456789012, "mock-" strings), so a
// test that finds one in printed output knows where it came from.
package cloudfake

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// AccountID is the AWS account the fake cloud runs in.
const AccountID = "123456789012"

// Region is the region of every fake ARN and endpoint; the committed stacks
// are in it.
const Region = "us-west-2"

// GeneratedPasswordPrefix starts every password the fake random provider
// generates; a test that finds it in printed output or state has found a
// leak.
const GeneratedPasswordPrefix = "mock-generated-password-"

// MasterPassword is the RDS-managed master password the fake Secrets Manager
// returns; it must never appear in plain text.
const MasterPassword = "mock-master-password-Zq8v"

// ID is the made-up physical id of a resource: it names the resource, so a
// reader of a plan or state sees where a reference points.
func ID(name string) string { return name + "-id" }

// Outputs are a created resource's outputs: its inputs echoed, plus what the
// provider computes (see Computed).
func Outputs(typ, name string, inputs resource.PropertyMap) resource.PropertyMap {
	out := inputs.Copy()
	for k, v := range computed(typ, name, inputs) {
		key := resource.PropertyKey(k)
		add := resource.NewPropertyValue(v)
		// A computed field inside an input object (vpcConfig's
		// clusterSecurityGroupId) joins the object the program gave.
		if given, ok := out[key]; ok && given.IsObject() && add.IsObject() {
			merged := given.ObjectValue().Copy()
			for nk, nv := range add.ObjectValue() {
				merged[nk] = nv
			}
			add = resource.NewProperty(merged)
		}
		out[key] = add
	}
	return out
}

// Updated are a resource's outputs after an in-place update: as Outputs, but
// values a provider derives from history move on (a launch template's
// latestVersion counts its versions).
func Updated(typ, name string, old, inputs resource.PropertyMap) resource.PropertyMap {
	out := Outputs(typ, name, inputs)
	if typ == launchTemplate {
		if v, ok := old["latestVersion"]; ok && v.IsNumber() {
			out["latestVersion"] = resource.NewProperty(v.NumberValue() + 1)
		}
	}
	return out
}

// Computed names the outputs a provider adds beyond the inputs; a preview
// shows them as unknown until the resource exists.
func Computed(typ, name string, inputs resource.PropertyMap) []string {
	var keys []string
	for k := range computed(typ, name, inputs) {
		if _, given := inputs[resource.PropertyKey(k)]; !given {
			keys = append(keys, k)
		}
	}
	return keys
}

const launchTemplate = "aws:ec2/launchTemplate:LaunchTemplate"

// computed is every output the fake adds for a type. Inputs of the same
// name win in Outputs only where the real provider echoes them (name, port).
func computed(typ, name string, inputs resource.PropertyMap) map[string]any {
	out := map[string]any{}
	str := func(k string) string {
		if v, ok := inputs[resource.PropertyKey(k)]; ok && v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	if strings.HasPrefix(typ, "aws:") {
		service := strings.SplitN(strings.TrimPrefix(typ, "aws:"), "/", 2)[0]
		out["arn"] = fmt.Sprintf("arn:aws:%s:%s:%s:%s/%s", service, Region, AccountID, typ[strings.LastIndex(typ, ":")+1:], name)
	}
	if str("name") == "" {
		out["name"] = name
	}
	if extra, ok := typeOutputs[typ]; ok {
		for k, v := range extra(name, str) {
			out[k] = v
		}
	}
	if typ == randomPassword {
		out["result"] = generatedPassword(name, inputs)
	}
	return out
}

const randomPassword = "random:index/randomPassword:RandomPassword"

// InitialRotation is the rotation keeper every generated password starts
// with (config.DefaultPasswordRotation).
const InitialRotation = "initial"

// generatedPassword is what the fake random provider generates: named after
// the resource, and, once its rotation keeper moves on from the first
// label, after the label too, so that a rotation makes a new value as the
// real provider does, and a password never rotated keeps the value tests
// know.
func generatedPassword(name string, inputs resource.PropertyMap) string {
	out := GeneratedPasswordPrefix + name
	keepers, ok := inputs["keepers"]
	if !ok || !keepers.IsObject() {
		return out
	}
	label, ok := keepers.ObjectValue()["rotation"]
	if ok && label.IsString() && label.StringValue() != InitialRotation {
		out += "-" + shortHash(label.StringValue())
	}
	return out
}

// typeOutputs are, per type, the computed outputs other resources read.
var typeOutputs = map[string]func(name string, in func(string) string) map[string]any{
	// network, cluster, registry
	"aws:kms/key:Key": func(name string, _ func(string) string) map[string]any {
		return map[string]any{"keyId": "mock-key-" + shortHash(name)}
	},
	launchTemplate: func(string, func(string) string) map[string]any {
		return map[string]any{"latestVersion": 1, "defaultVersion": 1}
	},
	"aws:eks/nodeGroup:NodeGroup": func(name string, _ func(string) string) map[string]any {
		return map[string]any{
			"status": "ACTIVE",
			"resources": []any{map[string]any{
				"autoscalingGroups": []any{map[string]any{"name": "eks-" + name + "-asg"}},
			}},
		}
	},
	"aws:eks/cluster:Cluster": func(name string, _ func(string) string) map[string]any {
		return map[string]any{
			"endpoint":             "https://MOCK" + strings.ToUpper(shortHash(name)) + ".gr7." + Region + ".eks.amazonaws.com",
			"certificateAuthority": map[string]any{"data": "bW9jay1jbHVzdGVyLWNh"},
			"status":               "ACTIVE",
			"identities": []any{map[string]any{"oidcs": []any{map[string]any{
				"issuer": "https://oidc.eks." + Region + ".amazonaws.com/id/MOCK" + strings.ToUpper(shortHash(name)),
			}}}},
			"vpcConfig": map[string]any{"clusterSecurityGroupId": "sg-mock-eks-" + shortHash(name)},
		}
	},
	"aws:ec2/eip:Eip": func(name string, _ func(string) string) map[string]any {
		return map[string]any{"allocationId": "eipalloc-" + shortHash(name), "publicIp": "203.0.113.10"}
	},
	"aws:lb/loadBalancer:LoadBalancer": func(_ string, in func(string) string) map[string]any {
		return map[string]any{"dnsName": in("name") + "-1234567890." + Region + ".elb.amazonaws.com", "zoneId": "Z1H1FL5HABSF5"}
	},
	// A bucket created from a prefix is named by S3 (prefix and a suffix).
	"aws:s3/bucketV2:BucketV2": func(name string, in func(string) string) map[string]any {
		if in("bucket") != "" {
			return nil
		}
		return map[string]any{"bucket": in("bucketPrefix") + shortHash(name)}
	},
	"aws:ecr/repository:Repository": func(_ string, in func(string) string) map[string]any {
		return map[string]any{
			"repositoryUrl": AccountID + ".dkr.ecr." + Region + ".amazonaws.com/" + in("name"),
			"registryId":    AccountID,
		}
	},
	// postgres
	"aws:rds/instance:Instance": func(_ string, in func(string) string) map[string]any {
		address := in("identifier") + ".cmockabcdefg." + Region + ".rds.amazonaws.com"
		return map[string]any{
			"address":  address,
			"port":     5432,
			"endpoint": address + ":5432",
			"masterUserSecrets": []any{map[string]any{
				"secretArn":    "arn:aws:secretsmanager:" + Region + ":" + AccountID + ":secret:rds!db-mock-" + in("identifier"),
				"kmsKeyId":     "arn:aws:kms:" + Region + ":" + AccountID + ":key/mock",
				"secretStatus": "active",
			}},
		}
	},
	// mongo: what Atlas returns once its endpoint service is ready
	"mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint": func(string, func(string) string) map[string]any {
		return map[string]any{
			"endpointServiceName": "com.amazonaws.vpce." + Region + ".vpce-svc-0mock0atlas000000",
			"privateLinkId":       "65f0c0ffee0000000000a7a5",
			"status":              "WAITING_FOR_USER",
		}
	},
	"mongodbatlas:index/advancedCluster:AdvancedCluster": func(_ string, _ func(string) string) map[string]any {
		return map[string]any{"clusterId": "65f0c0ffee00000000c1a5e7", "stateName": "IDLE"}
	},
	// PostgreSQL 16 records an implicit ADMIN membership of every role a
	// CREATEROLE user (the RDS master) creates in that user; a GrantRole of
	// such a role to the master reads that row back first
	// (terraform-provider-postgresql v1.25.0 resource_postgresql_grant_role.go
	// reads pg_auth_members without the grantor), so its state says
	// with_admin_option true whatever it was given.
	"postgresql:index/grantRole:GrantRole": func(string, func(string) string) map[string]any {
		return map[string]any{"withAdminOption": true}
	},
	// result: generatedPassword.
	randomPassword: func(name string, _ func(string) string) map[string]any {
		return map[string]any{"bcryptHash": "$2a$10$mock" + shortHash(name)}
	},
	// workload
	"kubernetes:helm.sh/v3:Release": func(_ string, in func(string) string) map[string]any {
		return map[string]any{"status": map[string]any{
			"name": in("name"), "namespace": in("namespace"), "status": "deployed", "revision": 1,
			"version": in("version"), "chart": in("chart"),
		}}
	},
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

// AutoName is the physical name the provider gives a resource whose name
// input is unset: the logical name and a suffix, stable for one resource as
// the real providers keep the first name they chose.
func AutoName(urn, name string) string { return name + "-" + shortHash(urn)[:7] }

// AutoNamed lists the types whose providers name them when the program does
// not, and the input that holds the name.
var AutoNamed = map[string]string{
	"aws:iam/role:Role":                       "name",
	"aws:iam/rolePolicy:RolePolicy":           "name",
	"aws:iam/policy:Policy":                   "name",
	"aws:iam/instanceProfile:InstanceProfile": "name",
	"aws:ec2/securityGroup:SecurityGroup":     "name",
	"aws:ec2/launchTemplate:LaunchTemplate":   "name",
	"aws:lb/targetGroup:TargetGroup":          "name",
	"aws:s3/bucketV2:BucketV2":                "bucket",
}

// Invoke answers a provider function the program calls, or says which one
// the fake cloud does not know. Secret says which result properties the real
// provider marks secret (its schema's sensitive fields).
func Invoke(token string, args resource.PropertyMap) (result resource.PropertyMap, secret []string, err error) {
	answer, ok := invokeResults[token]
	if !ok {
		return nil, nil, fmt.Errorf("cloudfake: no result for invoke %s; add one to invokeResults", token)
	}
	out, secret := answer(args)
	return resource.NewPropertyMapFromMap(out), secret, nil
}

func arg(args resource.PropertyMap, k string) string {
	if v, ok := args[resource.PropertyKey(k)]; ok {
		if v.IsSecret() {
			v = v.SecretValue().Element
		}
		if v.IsString() {
			return v.StringValue()
		}
	}
	return ""
}

var invokeResults = map[string]func(args resource.PropertyMap) (map[string]any, []string){
	"aws:index/getCallerIdentity:getCallerIdentity": func(resource.PropertyMap) (map[string]any, []string) {
		return map[string]any{
			"accountId": AccountID,
			"arn":       "arn:aws:iam::" + AccountID + ":user/mock",
			"userId":    "AIDAMOCK",
			"id":        AccountID,
		}, nil
	},
	"aws:index/getPartition:getPartition": func(resource.PropertyMap) (map[string]any, []string) {
		return map[string]any{"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}, nil
	},
	// postgres: the RDS-managed master secret
	"aws:secretsmanager/getSecretVersion:getSecretVersion": func(args resource.PropertyMap) (map[string]any, []string) {
		arn := arg(args, "secretId")
		return map[string]any{
			"arn": arn, "id": arn + "|AWSCURRENT", "secretId": arn, "versionId": "mock-version", "versionStage": "AWSCURRENT",
			"secretString": `{"username":"bpa_admin","password":"` + MasterPassword + `"}`,
		}, []string{"secretString", "secretBinary"}
	},
	// cluster: us-west-2's Elastic Load Balancing account, which writes
	// access logs in regions opened before August 2022.
	"aws:elb/getServiceAccount:getServiceAccount": func(resource.PropertyMap) (map[string]any, []string) {
		return map[string]any{"arn": "arn:aws:iam::797873946194:root", "id": "797873946194"}, nil
	},
	"aws:ssm/getParameter:getParameter": func(args resource.PropertyMap) (map[string]any, []string) {
		name := arg(args, "name")
		return map[string]any{"name": name, "value": "ami-0123456789abcdef0", "type": "String", "id": name}, []string{"value"}
	},
	// mongo: an Atlas cluster reached through two private endpoints, the
	// stack's own (the id the fake gives VPC endpoint "mongo-endpoint") and
	// another VPC's, so the program must pick its own endpoint's SRV string.
	"mongodbatlas:index/getAdvancedCluster:getAdvancedCluster": func(args resource.PropertyMap) (map[string]any, []string) {
		name := arg(args, "name")
		endpoint := func(id, host string) map[string]any {
			return map[string]any{
				"srvConnectionString": "mongodb+srv://" + host + ".abcde.mongodb.net",
				"connectionString":    "mongodb://" + host + "-shard-00-00.abcde.mongodb.net:1024",
				"type":                "MONGOD",
				"endpoints":           []any{map[string]any{"endpointId": id, "providerName": "AWS", "region": "US_WEST_2"}},
			}
		}
		return map[string]any{
			"name": name, "projectId": arg(args, "projectId"), "id": name, "stateName": "IDLE",
			"connectionStrings": []any{map[string]any{
				"standardSrv": "mongodb+srv://" + name + ".abcde.mongodb.net",
				"privateEndpoints": []any{
					endpoint("vpce-0another0vpc0000", name+"-pl-1"),
					endpoint(ID("mongo-endpoint"), name+"-pl-0"),
				},
			}},
		}, nil
	},
}
