/* placeholder until the chip commands land */
#include "commands.h"
#include <stdio.h>
int cmd_chip(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "%s: not implemented yet\n", argv[0]);
	return 2;
}
