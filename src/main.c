/*
 * paspor — one binary, git-style subcommands. The table below is the list of commands;
 * util/cli.h says how to add one.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "commands.h"
#include "log/node_cli.h"
#include "office/booklets.h"
#include "office/dayclose.h"
#include "office/officers.h"
#include "office/workflow.h"
#include "signer/signer.h"
#include "util/cli.h"
#include "util/log.h"
#include "version.h"

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("paspor %s\n", PASPOR_VERSION);
	return EXIT_OK;
}

static const struct cli_command commands[] = {
	CLI_CMD_GROUP("mrz", mrz_commands,
		      "make and check machine readable zones (ICAO 9303 TD1/TD2/TD3)"),
	CLI_CMD_GROUP("pki", pki_commands, "make CSCA and Document Signer keys and certificates, CRLs"),
	CLI_CMD_GROUP("chip", chip_commands,
		      "make and verify eMRTD chip files (LDS1: EF.COM, DG1, DG2, EF.SOD)"),
	CLI_CMD_GROUP("log", log_commands, "the signed event log: proofs, checkpoints, verification"),
	CLI_CMD_GROUP("office", office_commands, "an immigration office node: make its data dir"),
	CLI_CMD("signer", cmd_signer, "the Document Signer process: key in a PKCS#11 token, policy, log"),
	CLI_CMD_SETUP("rebuild", cmd_rebuild, &node_cli_rebuild,
		      "drop and replay the state tables from the log"),
	CLI_CMD("version", cmd_version, "print the version"),
	CLI_CMD_END(),
};

int main(int argc, char **argv)
{
	log_init("paspor", 1, LOG_LEVEL_INFO);
	/* every kind set, before any node is opened (log/kinds.h): rebuild replays them all */
	if (office_register_kinds() < 0 || officers_register_kinds() < 0 ||
	    signer_register_kinds() < 0 || booklets_register_kinds() < 0 ||
	    dayclose_register_kinds() < 0) {
		fprintf(stderr, "paspor: the event-kind registry is full\n");
		return 1;
	}
	int rc = cli_dispatch("paspor", commands, argc, argv);
	OPENSSL_cleanup();
	return rc;
}
