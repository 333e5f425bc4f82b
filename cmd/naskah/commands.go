package main

// commandTable is the list of subcommands. Each lives in its own file.
func commandTable() []namedCommand {
	return append(append([]namedCommand{sopCommand(), serveCommand(), fsckCommand(), reindexCommand(), usersCommand()}, pdfCommands()...), opsCommands()...)
}
