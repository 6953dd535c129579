package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
)

func main() {
	tuneGC(os.Args[1:]) // GC defaults of the streaming commands (gc.go)
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

// command is one entry of the command table.
type command struct {
	name    string // first argument selecting the command
	summary string // one line for the command list
	// run executes the command with the arguments after its name and
	// returns the exit code (0 ok, 1 failure, 2 usage error).
	run func(args []string, stdout, stderr io.Writer) int
}

// commands is the command table; each command's file adds itself with
// register from an init function.
var commands = map[string]command{}

func register(c command) {
	if _, dup := commands[c.name]; dup || c.name == "" || c.run == nil {
		panic("consumer: bad or duplicate command " + c.name)
	}
	commands[c.name] = c
}

// dispatch runs the command named by args[0].
func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				return c.run([]string{"--help"}, stdout, stderr)
			}
		}
		usage(stdout)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "consumer: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("consumer turns Kafka event streams into whylogs profiles.\n\nUsage:\n\n\tconsumer <command> [arguments]\n\nCommands:\n\n")
	for _, name := range slices.Sorted(maps.Keys(commands)) {
		fmt.Fprintf(&b, "\t%-12s %s\n", name, commands[name].summary)
	}
	b.WriteString("\nRun \"consumer <command> --help\" for a command's usage.\n")
	io.WriteString(w, b.String())
}
