package harness

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/bpa-infra/bpa-infra/internal/cloudfake"
)

// MockAccountID is the AWS account the mocks pretend to run in.
const MockAccountID = cloudfake.AccountID

// GeneratedPasswordPrefix starts every password the mock generates; a test
// that finds it in printed output has found a leak.
const GeneratedPasswordPrefix = cloudfake.GeneratedPasswordPrefix

// resolvedID is a made-up physical id that names the resource it belongs to.
func resolvedID(r *Resource) string { return cloudfake.ID(r.Name) }

// resolvedOutputs are what a finished deployment returns (cloudfake).
func resolvedOutputs(r *Resource, inputs resource.PropertyMap) resource.PropertyMap {
	return cloudfake.Outputs(r.Type, r.Name, inputs)
}

// knownInPreview are the types whose id and outputs the mock returns even in
// a preview. The SDK mock monitor cannot carry a secret whose value is
// unknown (it fails with "malformed RPC secret"), and these types' outputs
// flow into secrets (connection facts in Secrets Manager and Kubernetes
// secrets, the postgresql provider's password). The engine tests
// (enginetest/) keep them unknown, as a real preview does.
var knownInPreview = map[string]bool{
	"aws:rds/instance:Instance":                                                true,
	"aws:ec2/vpcEndpoint:VpcEndpoint":                                          true,
	"mongodbatlas:index/project:Project":                                       true,
	"mongodbatlas:index/advancedCluster:AdvancedCluster":                       true,
	"mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService": true,
	"mongodbatlas:index/databaseUser:DatabaseUser":                             true,
	"random:index/randomPassword:RandomPassword":                               true,
}

// previewState is what a preview knows of a new resource: nothing, except
// for the knownInPreview types.
func previewState(r *Resource, inputs resource.PropertyMap) (string, resource.PropertyMap) {
	if knownInPreview[r.Type] {
		return resolvedID(r), resolvedOutputs(r, inputs)
	}
	return "", resource.PropertyMap{}
}
