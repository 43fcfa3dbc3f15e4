/*
 * commands — every top-level `paspor` command. Each is implemented in its subsystem's
 * cmd_*.c file and listed in the table in src/main.c: a function, or for a command with
 * subcommands (a group) the table of them. See util/cli.h for the contract a command
 * keeps (argv[0] is its full name, return value is the exit code, --help) and
 * docs/CLI.md for how to add a command or an option.
 */
#ifndef PASPOR_COMMANDS_H
#define PASPOR_COMMANDS_H

#include "util/cli.h"

/* groups of subcommands: rows CLI_CMD_GROUP of main.c's table */
extern const struct cli_command mrz_commands[];
extern const struct cli_command pki_commands[];
extern const struct cli_command chip_commands[];
extern const struct cli_command log_commands[];
extern const struct cli_command office_commands[];

int cmd_rebuild(int argc, char **argv, void *ctx); /* runs with node_cli_rebuild */
int cmd_signer(int argc, char **argv);

#endif
