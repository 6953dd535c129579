package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"
)

func init() {
	register(command{name: "devbroker", summary: "run a local Kafka-compatible dev broker (franz-go kfake), optionally persisted", run: runDevbroker})
}

func runDevbroker(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("devbroker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9092", "listen address (host:port; the broker binds 127.0.0.1)")
	data := fs.String("data", "", "directory to persist topics and offsets in (empty: memory only)")
	partitions := fs.Int("partitions", 4, "partitions of auto-created topics")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	c, err := startDevBroker(*addr, *data, *partitions)
	if err != nil {
		fmt.Fprintf(stderr, "consumer devbroker: %v\n", err)
		return 1
	}
	defer c.Close()
	fmt.Fprintf(stdout, "dev broker (kfake, a test broker — not for production) listening on %v", c.ListenAddrs())
	if *data != "" {
		fmt.Fprintf(stdout, ", data in %s", *data)
	}
	fmt.Fprintln(stdout, "; topics are created on first use; Ctrl-C stops it")
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	<-ctx.Done()
	return 0
}

func startDevBroker(addr, data string, partitions int) (*kfake.Cluster, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--addr %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("--addr %q: bad port", addr)
	}
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.Ports(port), kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(partitions)}
	if host != "" && host != "127.0.0.1" && host != "localhost" {
		opts = append(opts, kfake.ListenFn(func(network, a string) (net.Listener, error) {
			_, p, _ := net.SplitHostPort(a)
			return net.Listen(network, net.JoinHostPort(host, p))
		}))
	}
	if data != "" {
		if err := os.MkdirAll(data, 0o755); err != nil {
			return nil, err
		}
		opts = append(opts, kfake.DataDir(data))
	}
	return kfake.NewCluster(opts...)
}
