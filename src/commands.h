/*
 * commands — every top-level `paspor` command. Each is implemented in its subsystem's
 * cmd_*.c file and listed in the table in src/main.c; see util/cli.h for the contract
 * a command keeps (argv[0] is its full name, return value is the exit code, --help) and
 * docs/CLI.md for how to add a command or an option.
 */
#ifndef PASPOR_COMMANDS_H
#define PASPOR_COMMANDS_H

int cmd_mrz(int argc, char **argv);
int cmd_pki(int argc, char **argv);
int cmd_chip(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_office(int argc, char **argv);
int cmd_rebuild(int argc, char **argv, void *ctx); /* runs with node_cli_rebuild */
int cmd_signer(int argc, char **argv);

#endif
