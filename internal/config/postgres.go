package config

// PostgresConfig is the postgres section of the stack configuration.
type PostgresConfig struct{}

func readPostgres(r *reader, cfg *Config) PostgresConfig {
	return PostgresConfig{}
}
