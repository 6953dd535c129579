package main

import (
	"bytes"
	"math"
	"os"
	"runtime/debug"
	"strconv"
)

// Garbage-collector defaults of the streaming commands (run, backfill,
// demo). The profiler's live heap is small and long-lived (open windows,
// sketches) while decoding and publishing allocate short-lived garbage, so
// the Go default (GOGC=100: collect whenever the heap doubles) spends 8–15%
// of the CPU on GC. A higher GC percent collects less often; a soft memory
// limit makes the collector work harder again before the process nears the
// memory it may use, so the higher percent cannot push it into the OOM
// killer. Both apply only where the user did not decide: GOGC and
// GOMEMLIMIT in the environment win (the runtime has already applied them).
const (
	// defaultGCPercent is the GC percent used when GOGC is not set
	// (BenchmarkEndToEnd: see README "Memory bounds").
	defaultGCPercent = 400
	// memoryLimitPercent is the soft memory limit, as a percentage of the
	// memory available to the process (the cgroup limit, else the host's
	// memory), used when GOMEMLIMIT is not set.
	memoryLimitPercent = 75
)

// gcCommands are the commands that profile streams.
var gcCommands = map[string]bool{"run": true, "backfill": true, "demo": true}

// gcSettings is what tuneGC decided; zero fields were left to the runtime.
type gcSettings struct {
	Percent     int   // GC percent set (0: GOGC set by the user, untouched)
	MemoryLimit int64 // soft memory limit set in bytes (0: untouched)
	LimitOf     int64 // the memory the limit is a share of
}

// gcDefaults decides the GC settings for command cmd from the environment
// and the memory limits found through readFile (cgroup v2, cgroup v1, then
// /proc/meminfo).
func gcDefaults(cmd string, getenv func(string) string, readFile func(string) ([]byte, error)) gcSettings {
	var s gcSettings
	if !gcCommands[cmd] {
		return s
	}
	if getenv("GOGC") == "" {
		s.Percent = defaultGCPercent
	}
	if getenv("GOMEMLIMIT") == "" {
		if total := availableMemory(readFile); total > 0 {
			s.LimitOf = total
			s.MemoryLimit = total / 100 * memoryLimitPercent
		}
	}
	return s
}

// tuneGC applies gcDefaults to the runtime.
func tuneGC(args []string) gcSettings {
	if len(args) == 0 {
		return gcSettings{}
	}
	s := gcDefaults(args[0], os.Getenv, os.ReadFile)
	if s.Percent != 0 {
		debug.SetGCPercent(s.Percent)
	}
	if s.MemoryLimit != 0 {
		debug.SetMemoryLimit(s.MemoryLimit)
	}
	return s
}

// noLimit is the threshold above which a cgroup v1 limit means "unlimited"
// (the kernel reports a page-rounded MaxInt64).
const noLimit = math.MaxInt64 / 2

// availableMemory returns the memory the process may use in bytes: the
// cgroup v2 or v1 limit when one is set, else MemTotal of /proc/meminfo;
// 0 when none is known.
func availableMemory(readFile func(string) ([]byte, error)) int64 {
	for _, path := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := readFile(path)
		if err != nil {
			continue
		}
		v := string(bytes.TrimSpace(b))
		if v == "max" {
			break // cgroup v2 without a limit
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err == nil && n > 0 && n < noLimit {
			return n
		}
		break
	}
	b, err := readFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(b) {
		f := bytes.Fields(line)
		if len(f) >= 2 && string(f[0]) == "MemTotal:" {
			kb, err := strconv.ParseInt(string(f[1]), 10, 64)
			if err == nil && kb > 0 && kb < noLimit/1024 {
				return kb * 1024
			}
		}
	}
	return 0
}
