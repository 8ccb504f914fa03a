// Package mongo is BPA's MongoDB: the Mongo component
// (bpa:databases:Mongo, New) builds the MongoDB Atlas project and
// dedicated cluster and reaches it only through an AWS PrivateLink endpoint
// in the data subnets, admitted from the pod range and the nodes.
//
// Its type token keeps the databases module of the design's folders
// (bpa:databases:<Type>: one module, two components), so its URNs are
// those enginetest/testdata records. It waits for nothing of the other data
// store, refuses incomplete arguments before registering anything and
// creates no Kubernetes objects: the workload component turns its outputs
// into the chart's secrets. Its generated password rotates as
// password.RotationKeeper says.
package mongo
