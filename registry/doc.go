// Package registry holds BPA's container images in ECR.
//
// It creates one repository per image named in config, under the stack's
// name prefix so that several customers can share an account: scanned on
// push, encrypted with a customer-managed KMS key (rotation on), tags
// immutable where the stack says so, and a lifecycle policy that expires
// untagged images and keeps the last N tagged ones.
//
// It also creates the pull policy the guide pasted by hand, made exact:
// ecr:GetAuthorizationToken on "*" (the only resource that action accepts,
// and the one the guide forgot), and BatchGetImage, GetDownloadUrlForLayer
// and BatchCheckLayerAvailability on these repositories only. The policy is
// attached to the node role handed in by the cluster component.
//
// Repositories and the key are protected when Args.Protect is set, and
// repositories are never force-deleted: images are the customer's data.
package registry
