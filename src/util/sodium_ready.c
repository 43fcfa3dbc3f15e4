#include "util/sodium_ready.h"

#include <pthread.h>

#include <sodium.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int status;

static void start(void)
{
	status = sodium_init();
}

int libsodium_ready(struct err *e)
{
	pthread_once(&once, start);
	if (status < 0)
		return err_set(e, ERR_CRYPTO, "cannot initialise libsodium");
	return 0;
}
