package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

func init() {
	register(command{name: "profile", summary: "inspect and merge whylogs profile files", run: runProfile})
}

// profileCommands are the subcommands of "consumer profile".
var profileCommands = []struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) int
}{
	{"inspect", "print the whylogs summary of each column of profile files (v1 or v0)", profileInspect},
	{"merge", "merge profiles (v1 or v0) into one v1 profile file", profileMerge},
}

func profileUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString("Usage:\n\n\tconsumer profile <subcommand> [arguments]\n\nSubcommands:\n\n")
	for _, c := range profileCommands {
		fmt.Fprintf(&b, "\t%-8s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun \"consumer profile <subcommand> --help\" for details.\n")
	io.WriteString(w, b.String())
}

func runProfile(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		profileUsage(stderr)
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		profileUsage(stdout)
		return 0
	}
	for _, c := range profileCommands {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "consumer profile: unknown subcommand %q\n\n", args[0])
	profileUsage(stderr)
	return 2
}

// parseArgs parses flags that may appear before, between or after the
// positional arguments ("inspect a.bin --json b.bin"); everything after "--"
// is positional. On -h/--help it prints the usage to stdout and returns
// done=true, code 0; on a bad flag it prints the error and the usage to
// stderr and returns done=true, code 2.
func parseArgs(fs *flag.FlagSet, args []string, usage func(io.Writer), stdout, stderr io.Writer) (pos []string, done bool, code int) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return nil, true, 0
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n\n", fs.Name(), err)
			usage(stderr)
			return nil, true, 2
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), false, 0
		}
		if len(rest) == 0 {
			return pos, false, 0
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// oneLine flattens an error message to a single line.
func oneLine(err error) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(err.Error())
}
