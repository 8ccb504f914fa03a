package cluster

// NodeLabelKey is the label the BPA chart selects its nodes by; a BPA node
// sets it on itself once its data volume is mounted.
const NodeLabelKey = "name"

// NodeGroupLabelKey names each BPA node group's node from the start, for
// operators; the chart never reads it.
const NodeGroupLabelKey = "bpa-infra/node"

// DataRoot is where the chart's hostPath volumes live, on the data volume
// mounted at DataMount.
const DataRoot = "/opt/bpa/data"

// BpaNode is one of the four nodes the BPA chart pins stateful pods to.
type BpaNode struct {
	// Name is the value of the node's "name" label.
	Name string
	// Zone is the index of the node's availability zone.
	Zone int
	// DataDirs are the hostPath directories the chart's pods on this node
	// expect, relative to DataRoot.
	DataDirs []string
}

// Labels are the Kubernetes labels the node carries.
func (n BpaNode) Labels() map[string]string { return map[string]string{NodeLabelKey: n.Name} }

// Nodes is the guide's node table, the one place it is written down:
// ZooKeeper and Kafka's three brokers on node-1..3 in three different zones
// (a zone outage keeps a quorum), Elasticsearch and metrics on node-4.
var Nodes = []BpaNode{
	{Name: "node-1", Zone: 0, DataDirs: []string{"zookeeper1", "zookeeper4", "zookeeper5", "kafka1"}},
	{Name: "node-2", Zone: 1, DataDirs: []string{"kafka2", "zookeeper2", "zookeeper4", "zookeeper5"}},
	{Name: "node-3", Zone: 2, DataDirs: []string{"kafka3", "zookeeper3", "zookeeper4", "zookeeper5"}},
	{Name: "node-4", Zone: 0, DataDirs: []string{"elk", "metrics/prometheus", "metrics/grafana"}},
}
