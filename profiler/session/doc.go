// Package session is the Go counterpart of the whylogs Session/Logger API
// (whylogs v0 app/session.py and app/logger.py): a Session holds a project,
// a pipeline, writers and loggers; a Logger profiles records of one dataset
// into event-time windows and writes each finished profile (whylogs v1
// files) through the writers.
//
//	whylogs (v0)                                   here
//	Session(project, pipeline, writers, verbose)   New(project, pipeline, WithWriters(…), WithVerbose(w))
//	session.logger(dataset_name, …)                (*Session).Logger(name, LoggerOption…)
//	  dataset_timestamp, session_timestamp          WithDatasetTimestamp, WithSessionTimestamp
//	  tags, metadata                                WithTags, WithMetadata
//	  segments=[k1, k2] / [[{key, value}]]          WithSegmentColumns(k1, k2) / WithSegments(tags…)
//	  profile_full_dataset, with_rotation_time      WithFullDataset(true), WithRotationTime("1h")
//	  cache_size, constraints                       WithCacheSize(n), WithConstraints(…)
//	logger.log(features) / log_dataframe(df)       (*Logger).Log(record) / LogRecords(batch)
//	                                               (*Logger).LogFunc(t, fields, update): typed fast path
//	session.profile_dataframe(df)                  (*Session).ProfileRecords(name, batch, …), (*Logger).ProfileRecords(batch)
//	session.new_profile(name)                      (*Session).NewProfile(name, …)
//	logger.close() / session.close()               (*Logger).Close() / (*Session).Close()
//	session.remove_logger(name)                    (*Session).RemoveLogger(name)
//	session_from_config(cfg)                       SessionFromConfig(cfg)
//	get_or_create_session(path)                    GetOrCreateSession(path)   (YAML, go.yaml.in/yaml/v3)
//	reset_default_session(), get_session()         ResetDefaultSession(), GetSession()
//	get_logger()                                   GetLogger(name, …)
//
// (GetOrCreateSession, GetSession and GetLogger keep whylogs' names despite
// the Go convention against Get prefixes, so the mapping stays obvious.)
//
// # Windows and event time
//
// Rotation is by event time, not by the clock: each record's time comes
// from the field named by WithEventTime (a time.Time, an RFC 3339 string or
// an epoch number in a configured unit), or is the dataset timestamp when no
// field is named. Windows are half-open [start, end) and aligned to the UTC
// epoch (profiler.WindowOf); a window is written when the watermark (the
// largest event time logged) reaches its end plus the allowed lateness;
// records for an already closed window go into a late partial profile of
// that window; Close writes what is still open as partial profiles. All of
// it is profiler.WindowSet, which the streaming daemon uses directly.
// Profiles merge, so partials of a window add up to the whole window.
//
// whylogs' loggers rotate on the wall clock with boundaries relative to when
// the logger started (v0) or aligned in local time (v1 rolling logger); we
// align to the UTC epoch so that every partition, process and replay cuts
// the same windows and their partials merge by window.
//
// # Clock
//
// The session reads the clock (WithClock, default time.Now) only for its own
// timestamp (the default session timestamp = creation timestamp of
// profiles) and for a logger's default dataset timestamp. Window contents,
// window boundaries and file names never depend on it.
//
// # Writers
//
// Writer is the interface the sinks implement; LocalWriter writes whylogs v1
// files into a directory with deterministic names (see LocalWriter). Write
// errors are returned by the logging call that closed the window (or by
// Close); the profile is not retried.
//
// # Differences from whylogs
//
//   - Rotation is by event time, aligned to the UTC epoch (above); rotations
//     must divide a day or be whole days (profiler.ValidateRotation).
//   - A session's loggers are keyed by dataset name alone; asking for a name
//     with other options is ErrLoggerExists (whylogs would create a second
//     logger writing the same files).
//   - The session id is derived from project, pipeline and session
//     timestamp instead of uuid4, and the default path template is "$name"
//     (not "$name/$session_id"), so file names are reproducible.
//   - Profiles carry no whylogs.creationTimestamp / whylabs.traceId /
//     whylogs.version metadata (they would break byte-identical replays);
//     windowed profiles carry kprofiler.first_offset, kprofiler.window_end,
//     kprofiler.late and kprofiler.partition (profiler.WindowSet).
//   - Only the local writer and the protobuf (v1 file) format exist here.
//   - Records whose segment field is missing or nil form the segment "None"
//     (whylogs' row path) rather than being dropped (its pandas path).
//
// # Concurrency
//
// Session and Logger are safe for concurrent use. A Logger serialises its
// calls; writes happen under its lock, in the order windows close.
package session
