package main

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kprofiler/kprofiler/cmd/consumer/config"
	"github.com/kprofiler/kprofiler/pipeline"
	"github.com/kprofiler/kprofiler/sink"
)

// Builders shared by the commands that publish profiles (run, backfill).

// openSinks opens the configured sinks and returns them as one sink (a
// sink.Multi when there are several). conn are the source cluster's
// connection options; the close function of every opened sink is appended
// to closers, also when a later one fails. An exactly_once kafka sink is
// refused unless plainEOS is set (backfill: no group offsets to commit with
// the profiles, so the sink is opened as an ordinary idempotent producer).
func openSinks(ctx context.Context, cfg *config.Config, conn []kgo.Opt, closers *[]func(), plainEOS bool) (sink.Sink, error) {
	var sinks []sink.Sink
	for i, s := range cfg.Sinks {
		var sk sink.Sink
		var err error
		switch s.Type {
		case "blob":
			sk, err = sink.OpenBlob(ctx, s.URL, sink.BlobOptions{Prefix: s.Prefix})
		case "kafka":
			if s.ExactlyOnce && !plainEOS {
				err = errors.New("exactly_once is not implemented yet; use at-least-once (the default)")
				break
			}
			opts := slices.Clone(conn)
			if len(s.Brokers) > 0 {
				opts = append(opts, kgo.SeedBrokers(s.Brokers...))
			}
			sk, err = sink.DialKafka(s.Topic, sink.KafkaOptions{}, opts...)
		default:
			err = fmt.Errorf("unknown type %q", s.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("sinks[%d]: %w", i, err)
		}
		*closers = append(*closers, func() { sk.Close() })
		sinks = append(sinks, sk)
	}
	switch len(sinks) {
	case 0:
		return nil, errors.New("no sinks configured")
	case 1:
		return sinks[0], nil
	}
	return sink.NewMulti(sinks...)
}

// openDeadLetter returns the configured dead-letter writer, or nil when
// dead_letter.topic is empty; its client's Close is appended to closers.
func openDeadLetter(cfg *config.Config, conn []kgo.Opt, closers *[]func()) (pipeline.DeadLetter, error) {
	if cfg.DeadLetter.Topic == "" {
		return nil, nil
	}
	dcl, err := kgo.NewClient(conn...)
	if err != nil {
		return nil, err
	}
	*closers = append(*closers, dcl.Close)
	dl, err := sink.NewDeadLetter(dcl, cfg.DeadLetter.Topic)
	if err != nil {
		return nil, err
	}
	return pipeline.SinkDeadLetter{DL: dl}, nil
}
