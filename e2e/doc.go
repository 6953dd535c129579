//go:build e2e

// Package e2e is kprofiler's end-to-end suite against real parts: an Apache Kafka broker
// (KRaft, from Maven Central, run with Java 17), the whylogs Python package and an external
// librdkafka producer (confluent-kafka) from a venv.
//
// Every file carries the build tag e2e, so plain `go test ./...` never builds it. Run it
// with `make e2e` (bash e2e/run.sh), which resolves the jars, builds the venv, starts the
// brokers on 127.0.0.1 and runs
//
//	go test -tags e2e -count=1 -v ./e2e/...
//
// with these environment variables (a test fails, never skips, when one is missing):
//
//	E2E_KAFKA_BOOTSTRAP   single-node cluster, 127.0.0.1:PORT
//	E2E_KAFKA3_BOOTSTRAP  three-node cluster, 127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3
//	E2E_KAFKA_DIR         broker.sh state directory of the single-node cluster
//	E2E_PYTHON            the venv's python (whylogs, pandas, confluent-kafka)
//
// Each scenario asserts exact numbers and logs a one-line result such as
// "smoke: produced=10000 consumed=10000 ...". The harness only binds and dials 127.0.0.1.
//
// The pipeline scenarios (interop, bad input, broker restart, scale-out) run the consumer
// command, built once from the tree, as separate `consumer run --config F` processes fed
// by the external producer python/produce_events.py, which keeps exact statistics; whylogs
// (python/check_profiles.py) reads, merges and compares what they publish.
package e2e
