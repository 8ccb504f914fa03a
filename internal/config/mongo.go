package config

// MongoConfig is the mongo section of the stack configuration.
type MongoConfig struct{}

func readMongo(r *reader, cfg *Config) MongoConfig {
	return MongoConfig{}
}
