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

// openSinks opens cfg.Sinks in order; conn are the source cluster's
// connection options. The close function of every opened sink is appended
// to closers, also when a later one fails. A kafka sink with exactly_once is
// not opened: its slot is nil and its index is returned as eos (-1: none;
// the configuration allows at most one), for the caller to fill (run: the
// transactional sink, backfill: openKafkaSink). journal turns on the blob
// sinks' journal (run: it makes object output exactly-once across crashes;
// backfill never reconciles, so its entries would only pile up — and a live
// consumer reconciling the same prefix must not delete backfill output).
func openSinks(ctx context.Context, cfg *config.Config, conn []kgo.Opt, journal bool, closers *[]func()) (sinks []sink.Sink, eos int, err error) {
	eos = -1
	for i, s := range cfg.Sinks {
		var sk sink.Sink
		switch s.Type {
		case "blob":
			sk, err = sink.OpenBlob(ctx, s.URL, sink.BlobOptions{Prefix: s.Prefix, NoJournal: !journal})
		case "kafka":
			if s.ExactlyOnce {
				eos = i
				sinks = append(sinks, nil)
				continue
			}
			sk, err = openKafkaSink(s, conn)
		default:
			err = fmt.Errorf("unknown type %q", s.Type)
		}
		if err != nil {
			return nil, -1, fmt.Errorf("sinks[%d]: %w", i, err)
		}
		*closers = append(*closers, func() { sk.Close() })
		sinks = append(sinks, sk)
	}
	if len(sinks) == 0 {
		return nil, -1, errors.New("no sinks configured")
	}
	return sinks, eos, nil
}

// openKafkaSink opens a kafka sink with an idempotent (at-least-once)
// producer on s.Brokers, or on the source cluster when empty.
func openKafkaSink(s config.Sink, conn []kgo.Opt) (sink.Sink, error) {
	opts := slices.Clone(conn)
	if len(s.Brokers) > 0 {
		opts = append(opts, kgo.SeedBrokers(s.Brokers...))
	}
	return sink.DialKafka(s.Topic, sink.KafkaOptions{}, opts...)
}

// combineSinks returns the one sink, or a sink.Multi that confirms only when
// all did.
func combineSinks(sinks []sink.Sink) (sink.Sink, error) {
	if len(sinks) == 1 {
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
