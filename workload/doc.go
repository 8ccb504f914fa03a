// Package workload installs BPA on the cluster: what the guide did with
// kubectl and helm by hand.
//
// On the cluster's Kubernetes provider it creates the namespace, the
// kubernetes.io/tls secret bpa-certificate-ingress from the certificate and
// key in encrypted stack config, one Kubernetes secret per database
// credential (taken from the databases' outputs), and the Helm release
// bpa-rel. The release's values carry every connection fact the chart needs,
// each wired from the component that owns it (see Values); passwords reach
// the chart only as references to those secrets, never as values. Values
// from stack config are merged over the wired ones.
//
// The release waits for exactly what it needs to start: the BPA node groups
// (pods are pinned to them), the database roles and databases, the Atlas
// PrivateLink link, and the secrets it references by name. It is atomic:
// a failed install or upgrade rolls back within the configured timeout.
package workload
