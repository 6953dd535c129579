package config

// The configuration types. Each field's tags are its documentation and the
// single source of the reference table, the example file, the environment
// variable names and the defaults:
//
//	yaml     the key (also the json name); ",inline" flattens an embedded struct
//	default  the default, in the same syntax as the YAML value; applied after
//	         loading to fields that are still zero and were not set explicitly
//	doc      one-paragraph description
//	enum     allowed values, separated by "|"
//	example  a sample value shown (commented out) in Example() when the
//	         example has no live value for the field
//	flag     the command-line flag that sets the field (RegisterFlags)
//	defdoc   how the default is shown when it is computed, not constant

// Config is the whole configuration of `consumer run` and `consumer
// backfill`. Build it with Load (file, environment, flags, defaults,
// credentials, validation) or with Parse and the individual steps. A Config
// is a plain value: it is not safe for concurrent mutation, but any number of
// goroutines may read it once loading is done.
type Config struct {
	Kafka           Kafka      `yaml:"kafka" json:"kafka" doc:"The source Kafka cluster and the consumer group."`
	Datasets        []Dataset  `yaml:"datasets" json:"datasets" doc:"What to profile: one entry per dataset, each reading one or more topics."`
	Sinks           []Sink     `yaml:"sinks" json:"sinks" doc:"Where finished profiles go. A profile is published once every sink confirmed it."`
	DeadLetter      DeadLetter `yaml:"dead_letter" json:"dead_letter" doc:"Optional topic for records that fail to decode."`
	HTTP            HTTP       `yaml:"http" json:"http" doc:"The HTTP server for /metrics, /healthz and /readyz."`
	Checkpoint      Checkpoint `yaml:"checkpoint" json:"checkpoint" doc:"Checkpoints publish open windows as partial profiles so that a restart replays a bounded amount of data."`
	Log             Log        `yaml:"log" json:"log" doc:"Logging."`
	ShutdownTimeout Duration   `yaml:"shutdown_timeout" json:"shutdown_timeout" default:"25s" flag:"shutdown-timeout" doc:"How long SIGINT/SIGTERM may take to publish open windows as partials and commit before the process exits anyway. Keep it below the orchestrator's grace period (Kubernetes: 30s)."`

	// explicit holds the display paths of the fields that the file, the
	// environment or a flag set, so that an explicit zero (allowed_lateness:
	// 0s, every_records: 0) is not replaced by a default.
	explicit map[string]bool
}

// Kafka is the source cluster and consumer group.
type Kafka struct {
	Brokers                []string      `yaml:"brokers" json:"brokers" default:"localhost:9092" flag:"brokers" doc:"Seed brokers as host:port."`
	Group                  string        `yaml:"group" json:"group" default:"kprofiler" flag:"group" doc:"Consumer group id. Every process of one deployment uses the same group; partitions are shared among them."`
	ClientID               string        `yaml:"client_id" json:"client_id" default:"kprofiler" flag:"client-id" doc:"Kafka client id (at most 256 characters), shown in broker logs and quotas."`
	TLS                    TLS           `yaml:"tls" json:"tls" doc:"TLS to the brokers."`
	SASL                   SASL          `yaml:"sasl" json:"sasl" doc:"SASL authentication to the brokers."`
	FetchMaxBytes          ByteSize      `yaml:"fetch_max_bytes" json:"fetch_max_bytes" default:"50MiB" doc:"Most bytes one fetch response may hold (between 1KiB and 1GiB). The client runs one fetch per broker at a time, so it can buffer brokers × this much."`
	PartitionFetchMaxBytes ByteSize      `yaml:"partition_fetch_max_bytes" json:"partition_fetch_max_bytes" default:"1MiB" doc:"Most bytes one fetch may return for one partition (between 1KiB and fetch_max_bytes)."`
	FetchMaxWait           Duration      `yaml:"fetch_max_wait" json:"fetch_max_wait" default:"5s" doc:"How long a broker may wait for data before answering a fetch (between 10ms and 1m)."`
	StartFrom              StartPosition `yaml:"start_from" json:"start_from" default:"earliest" flag:"start-from" example:"2026-11-01T00:00:00Z" doc:"Where a new group starts reading a partition that has no committed offset: earliest, latest, or a time as RFC 3339 or epoch milliseconds (the first record stamped at or after it; the log end on a partition with none). Committed offsets always win; a committed offset that retention already deleted resumes at the log start, so no record that still exists is skipped. To replay, use consumer backfill."`
	SessionTimeout         Duration      `yaml:"session_timeout" json:"session_timeout" default:"45s" doc:"Group session timeout: a member that sends no heartbeat for this long is removed (between 6s and 30m, the brokers' default limits)."`
	RebalanceTimeout       Duration      `yaml:"rebalance_timeout" json:"rebalance_timeout" default:"1m" doc:"How long the group waits for members to rejoin during a rebalance (between 1s and 30m). Publishing a revoked partition's open windows must fit in it."`
}

// TLS configures TLS to the brokers.
type TLS struct {
	Enabled            bool   `yaml:"enabled" json:"enabled" default:"false" doc:"Connect with TLS. The other tls fields are only allowed when this is true. consumer run connects to every seed broker at start-up: a TLS handshake failure (unknown CA, wrong host name, rejected client certificate) stops it with exit code 1 and an error naming the broker."`
	CAFile             string `yaml:"ca_file" json:"ca_file" example:"/etc/kprofiler/ca.pem" doc:"PEM file of the CAs that sign the broker certificates; empty: the system roots."`
	CertFile           string `yaml:"cert_file" json:"cert_file" example:"/etc/kprofiler/client.pem" doc:"PEM client certificate for mutual TLS; needs key_file."`
	KeyFile            string `yaml:"key_file" json:"key_file" example:"/etc/kprofiler/client-key.pem" doc:"PEM private key of cert_file."`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify" json:"insecure_skip_verify" default:"false" doc:"Do not verify the broker certificates (logged as a warning at start-up). For tests only."`
	ServerName         string `yaml:"server_name" json:"server_name" example:"kafka.internal" doc:"Host name to verify the broker certificates against; empty: the host of each broker address."`
}

// Credentials is a user name and password given directly, through an
// environment variable (the *_env fields name the variable) or through a
// file (password_file; one trailing newline is removed). At most one source
// is used for each; ResolveSecrets reads them into Username and Password.
type Credentials struct {
	Username     string `yaml:"username" json:"username" example:"kprofiler" doc:"User name."`
	UsernameEnv  string `yaml:"username_env" json:"username_env" example:"KAFKA_USERNAME" doc:"Name of an environment variable holding the user name (instead of username)."`
	Password     Secret `yaml:"password" json:"password" example:"change-me" doc:"Password. Never printed or logged; prefer password_env or password_file."`
	PasswordEnv  string `yaml:"password_env" json:"password_env" example:"KAFKA_PASSWORD" doc:"Name of an environment variable holding the password."`
	PasswordFile string `yaml:"password_file" json:"password_file" example:"/run/secrets/kafka-password" doc:"File holding the password (one trailing newline is removed)."`

	resolved bool // ResolveSecrets has read the indirect sources
}

// SASL configures SASL authentication to the brokers.
type SASL struct {
	Mechanism   string `yaml:"mechanism" json:"mechanism" enum:"PLAIN|SCRAM-SHA-256|SCRAM-SHA-512" example:"SCRAM-SHA-512" doc:"SASL mechanism; empty: no SASL. PLAIN sends the password in clear text unless kafka.tls.enabled is true (a warning is logged). An authentication failure at start-up stops consumer run with exit code 1 and an error naming the broker."`
	Credentials `yaml:",inline"`
}

// Dataset is one profiled stream: the topics it reads, how records are
// decoded, which time windows and segments they land in, and what the
// profiles carry.
type Dataset struct {
	Name                 string            `yaml:"name" json:"name" example:"orders" doc:"Dataset name: unique, 1–128 characters from A–Z a–z 0–9 . _ - (it appears in object keys and record keys)."`
	Topics               []string          `yaml:"topics" json:"topics" example:"orders" doc:"Topics to read (at least one)."`
	Format               string            `yaml:"format" json:"format" default:"json" enum:"json|avro" doc:"Record value format: json (one JSON object per record) or avro."`
	Avro                 Avro              `yaml:"avro" json:"avro" doc:"Avro decoding; exactly one of schema_registry.url and schema_file when format is avro."`
	EventTime            EventTime         `yaml:"event_time" json:"event_time" doc:"Where each record's event time comes from; it chooses the window."`
	Segments             Segments          `yaml:"segments" json:"segments" doc:"Segmentation: a separate profile per combination of tag values."`
	ProfileFullDataset   bool              `yaml:"profile_full_dataset" json:"profile_full_dataset" default:"false" doc:"With segments, also write the unsegmented profile of every window."`
	Rotation             Duration          `yaml:"rotation" json:"rotation" default:"1h" doc:"Window length. Windows are [start, start+rotation) aligned to the UTC epoch. At least 1s, and it either divides a day (30s, 5m, 1h, 6h …) or is a whole number of days (1d, 7d), so windows line up with UTC days."`
	AllowedLateness      Duration          `yaml:"allowed_lateness" json:"allowed_lateness" default:"10s" doc:"A window closes when the partition's watermark (highest event time seen) passes its end plus this. Records for closed windows go to late partial profiles of their window, never dropped. Between 0s and 10 × rotation, at most 1d."`
	MaxSegmentsPerWindow int               `yaml:"max_segments_per_window" json:"max_segments_per_window" default:"1000" doc:"Most distinct segments per window and partition (1 to 1000000); records of further segments go to the overflow segment and are counted."`
	Tags                 map[string]string `yaml:"tags" json:"tags" example:"{env: prod}" doc:"Tags written into every profile of this dataset."`
	Metadata             map[string]string `yaml:"metadata" json:"metadata" example:"{owner: data-team}" doc:"Metadata written into every profile of this dataset."`
	IncludeFields        []string          `yaml:"include_fields" json:"include_fields" example:"price" doc:"Only profile these columns (flattened names); empty: all."`
	ExcludeFields        []string          `yaml:"exclude_fields" json:"exclude_fields" example:"user.email" doc:"Never profile these columns (flattened names); applied after include_fields."`
	Nesting              string            `yaml:"nesting" json:"nesting" default:"flatten" enum:"flatten|ignore" doc:"Nested objects: flatten into columns named parent<separator>child, or ignore them."`
	Separator            string            `yaml:"separator" json:"separator" default:"." doc:"Separator of flattened column names."`
	Arrays               string            `yaml:"arrays" json:"arrays" default:"object" enum:"object|ignore" doc:"Arrays: profile each as one value of object type, or ignore them."`
}

// Avro configures Avro decoding of a dataset.
type Avro struct {
	SchemaRegistry SchemaRegistry `yaml:"schema_registry" json:"schema_registry" doc:"Confluent wire format: each value starts with a magic byte and a schema id looked up in this registry."`
	SchemaFile     string         `yaml:"schema_file" json:"schema_file" example:"/etc/kprofiler/orders.avsc" doc:"A fixed writer schema (.avsc, JSON); values are plain Avro binary."`
}

// SchemaRegistry is a Confluent-compatible schema registry.
type SchemaRegistry struct {
	URL         string `yaml:"url" json:"url" example:"http://localhost:8081" doc:"Registry base URL (http or https)."`
	Credentials `yaml:",inline"`
}

// EventTime says where a record's event time comes from.
type EventTime struct {
	Source string `yaml:"source" json:"source" default:"record_timestamp" enum:"field|record_timestamp" doc:"field: a field of the decoded value; record_timestamp: the Kafka record timestamp."`
	Field  string `yaml:"field" json:"field" example:"ts" doc:"The field (flattened name) when source is field."`
	Format string `yaml:"format" json:"format" default:"auto" enum:"rfc3339|epoch_s|epoch_ms|epoch_us|epoch_ns|auto" doc:"How the field is read: an RFC 3339 string, epoch seconds/milliseconds/microseconds/nanoseconds, or auto (RFC 3339 for strings; numbers by magnitude: below 1e11 seconds, below 1e14 milliseconds, below 1e17 microseconds, else nanoseconds)."`
}

// Segments selects the segmentation of a dataset: either tag fields (one
// segment per distinct combination of their values) or an explicit list of
// segments. Records matching no explicit segment only go to the full-dataset
// profile.
type Segments struct {
	Fields   []string            `yaml:"fields" json:"fields" example:"country" doc:"Segment by the values of these fields."`
	Explicit []map[string]string `yaml:"explicit" json:"explicit" example:"[{country: DE}, {country: FR}]" doc:"Explicit segments, each a set of field: value pairs a record must match."`
}

// Sink is one destination of finished profiles.
type Sink struct {
	Type            string   `yaml:"type" json:"type" enum:"blob|kafka" required:"true" doc:"blob (object storage through gocloud.dev/blob) or kafka (a topic)."`
	URL             string   `yaml:"url" json:"url" example:"s3://bucket?region=eu-west-1" doc:"blob: bucket URL; scheme file, mem, s3, gs or azblob."`
	Prefix          string   `yaml:"prefix" json:"prefix" example:"profiles/" doc:"blob: key prefix of every object."`
	Topic           string   `yaml:"topic" json:"topic" example:"whylogs-profiles" doc:"kafka: output topic."`
	Brokers         []string `yaml:"brokers" json:"brokers" defdoc:"kafka.brokers" example:"kafka-out:9092" doc:"kafka: brokers of the output cluster, reached with the kafka.tls and kafka.sasl settings; empty: kafka.brokers."`
	ExactlyOnce     bool     `yaml:"exactly_once" json:"exactly_once" default:"false" doc:"kafka: publish profiles and commit the consumed offsets in one transaction (readers use read_committed). Needs the output on the source cluster; at most one such sink."`
	TransactionalID string   `yaml:"transactional_id" json:"transactional_id" example:"kprofiler-1" doc:"kafka with exactly_once: the producer's transactional id, unique per process; empty: derived at start-up from kafka.group and the host name."`
}

// DeadLetter is the optional dead-letter topic.
type DeadLetter struct {
	Topic string `yaml:"topic" json:"topic" example:"kprofiler-dead-letter" doc:"Topic (on the source cluster) that receives records that fail to decode, with headers naming the error and the source topic, partition and offset; empty: none (bad records are still counted and skipped)."`
}

// HTTP is the metrics and health server.
type HTTP struct {
	Listen string `yaml:"listen" json:"listen" default:"127.0.0.1:9464" flag:"http-listen" doc:"Listen address (host:port) of /metrics, /healthz and /readyz. The default is loopback only; in a container use :9464. Port 0 picks a free port."`
}

// Checkpoint configures checkpoint flushes.
type Checkpoint struct {
	EveryRecords  int64    `yaml:"every_records" json:"every_records" default:"100000" doc:"Publish each partition's open windows as partial profiles every this many records of that partition (deterministic: replays flush at the same offsets); 0: never. Offsets are committed only at such full flushes (and at the interval below, revoke and shutdown), so this bounds what a crash replays. Each checkpoint writes one partial per open window and segment."`
	EveryInterval Duration `yaml:"every_interval" json:"every_interval" default:"5m" doc:"Also publish them when this much wall time passed since the partition's last flush, so that a slow partition still commits; 0s: never (a partition below every_records then commits only at revoke and shutdown). Shorter means less replay after a crash and more, smaller partials. The only wall-clock effect on output: it makes flush boundaries, not contents, depend on timing."`
}

// Log configures logging.
type Log struct {
	Level  string `yaml:"level" json:"level" default:"info" enum:"debug|info|warn|error" flag:"log-level" doc:"Lowest level logged."`
	Format string `yaml:"format" json:"format" default:"auto" enum:"json|console|auto" flag:"log-format" doc:"json, console (human-readable), or auto: console on a terminal, json otherwise."`
}
