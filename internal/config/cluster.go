package config

// ClusterConfig is the cluster section of the stack configuration.
type ClusterConfig struct{}

func readCluster(r *reader, cfg *Config) ClusterConfig {
	return ClusterConfig{}
}
