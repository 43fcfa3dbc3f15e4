/* placeholder until the pki commands land */
#include "commands.h"
#include <stdio.h>
int cmd_pki(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "%s: not implemented yet\n", argv[0]);
	return 2;
}
