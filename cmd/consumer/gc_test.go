package main

import (
	"errors"
	"io/fs"
	"testing"
)

func fakeFiles(files map[string]string) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		if v, ok := files[p]; ok {
			return []byte(v), nil
		}
		return nil, fs.ErrNotExist
	}
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

const meminfo = "MemTotal:       16318452 kB\nMemFree:         1000000 kB\n"

func TestGCDefaults(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cmd     string
		env     map[string]string
		files   map[string]string
		percent int
		limitOf int64
	}{
		{"cgroup v2 limit", "run", nil, map[string]string{"/sys/fs/cgroup/memory.max": "2147483648\n", "/proc/meminfo": meminfo}, 400, 2 << 30},
		{"cgroup v2 unlimited", "backfill", nil, map[string]string{"/sys/fs/cgroup/memory.max": "max\n", "/proc/meminfo": meminfo}, 400, 16318452 * 1024},
		{"cgroup v1 limit", "demo", nil, map[string]string{"/sys/fs/cgroup/memory/memory.limit_in_bytes": "1073741824\n", "/proc/meminfo": meminfo}, 400, 1 << 30},
		{"cgroup v1 unlimited", "run", nil, map[string]string{"/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n", "/proc/meminfo": meminfo}, 400, 16318452 * 1024},
		{"nothing known", "run", nil, nil, 400, 0},
		{"GOGC set", "run", map[string]string{"GOGC": "150"}, map[string]string{"/proc/meminfo": meminfo}, 0, 16318452 * 1024},
		{"GOMEMLIMIT set", "run", map[string]string{"GOMEMLIMIT": "1GiB"}, map[string]string{"/proc/meminfo": meminfo}, 400, 0},
		{"both set", "run", map[string]string{"GOGC": "off", "GOMEMLIMIT": "1GiB"}, map[string]string{"/proc/meminfo": meminfo}, 0, 0},
		{"other command", "profile", nil, map[string]string{"/proc/meminfo": meminfo}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := gcDefaults(tc.cmd, env(tc.env), fakeFiles(tc.files))
			if s.Percent != tc.percent || s.LimitOf != tc.limitOf || s.MemoryLimit != tc.limitOf/100*memoryLimitPercent {
				t.Fatalf("settings %+v, want percent %d and a limit of %d%% of %d", s, tc.percent, memoryLimitPercent, tc.limitOf)
			}
		})
	}
}

func TestAvailableMemoryUnreadable(t *testing.T) {
	broken := func(string) ([]byte, error) { return nil, errors.New("denied") }
	if n := availableMemory(broken); n != 0 {
		t.Fatalf("unreadable files give %d bytes", n)
	}
	if n := availableMemory(fakeFiles(map[string]string{"/sys/fs/cgroup/memory.max": "garbage", "/proc/meminfo": "MemTotal: x kB\n"})); n != 0 {
		t.Fatalf("malformed files give %d bytes", n)
	}
}
