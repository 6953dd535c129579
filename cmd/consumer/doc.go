// Command consumer is kprofiler's command-line program: the Kafka consumer
// that turns event streams into whylogs profiles, and the tools around it.
//
// Usage:
//
//	consumer <command> [arguments]
//
// Each command lives in its own file and registers itself in the command
// table (register, in main.go) from an init function; main.go only
// dispatches. A command is a function run(args, stdout, stderr) returning
// the exit code, so it can be tested without a process:
//
//	0  success
//	1  the command failed (a bad input file, an I/O error, …)
//	2  usage error (unknown command or flag, missing arguments)
//
// Commands so far:
//
//	profile inspect FILE... [--json]   print whylogs summaries of profile files (v1 or v0)
//	profile merge -o OUT FILE...       merge profiles (v1 or v0 in, v1 out)
//
// `consumer help` and `consumer <command> --help` describe each command.
package main
