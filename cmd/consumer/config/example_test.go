package config_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kprofiler/kprofiler/cmd/consumer/config"
)

// Load reports every problem at once, each naming the field, the value and
// the rule; flags win over the environment, which wins over the file.
func ExampleLoad() {
	dir, _ := os.MkdirTemp("", "kprofiler")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "kprofiler.yaml")
	_ = os.WriteFile(path, []byte(`
kafka:
  brokers: [kafka-1:9092]
datasets:
  - name: orders
    topics: [orders]
    rotation: 7m
  - name: orders
    topics: [orders-eu]
sinks:
  - type: blob
    url: ftp://archive/profiles
`), 0o600)

	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	flags := config.RegisterFlags(fs)
	_ = fs.Parse([]string{"--config", path, "--group", "profiler-eu"})

	_, err := config.Load(config.Options{
		Environ: []string{"KPROFILER_DATASETS_1_ALLOWED_LATENESS=2d", "KPROFILER_KAFKA_GROUP=ignored"},
		Flags:   flags,
	})
	fmt.Println(err)
	// Output:
	// datasets[0].rotation: "7m" must be a positive duration of at least 1s that divides 1d (like 30s, 5m, 1h) or is a whole number of days (like 1d, 7d)
	// datasets[1].name: "orders" must be unique (also datasets[0].name)
	// datasets[1].allowed_lateness: "2d" must be between 0s and 10h (10 × rotation, at most 1d)
	// sinks[0].url: "ftp://archive/profiles" must be a URL with scheme file, mem, s3, gs, azblob
}

func ExampleDefault() {
	c := config.Default()
	fmt.Println(c.Kafka.Brokers, c.Kafka.Group, c.HTTP.Listen, c.ShutdownTimeout, c.Kafka.StartFrom)
	fmt.Println(c.Validate())
	// Output:
	// [localhost:9092] kprofiler 127.0.0.1:9464 25s earliest
	// datasets: must list at least one dataset
	// sinks: must list at least one sink
}
