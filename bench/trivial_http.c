/*
 * trivial_http — the reference for the public status lookup's speed (issue 14, "Must
 * hold"): a libmicrohttpd server that reads a POST body and answers one fixed JSON
 * object, with nothing else behind it.
 *
 *   build/bench/trivial_http [--threads N]     (default 4, as `office serve --threads`)
 *
 * It runs libmicrohttpd the way the office node does (src/util/http.c,
 * http_server_start): MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC with
 * a thread pool of N, HTTP/1.1 keep-alive, on 127.0.0.1 port 0 (a free port chosen by
 * the kernel). It prints "listening 127.0.0.1:PORT" once it accepts connections and
 * serves until SIGTERM or SIGINT. Every request, whatever its method and path, has its
 * body read (and dropped) and gets 200 with Content-Type application/json and a body of
 * the same shape and length as a status lookup's answer. bench/status_wrk.sh runs it
 * beside an office node under the same wrk load.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

static const char answer[] =
	"{\"state\":\"booked\",\"slot_date\":\"2026-12-09\",\"slot_start\":\"09:00\","
	"\"rescheduled\":false}";

static int marker; /* *con_cls after the first call of a request */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	(void)cls, (void)url, (void)method, (void)version, (void)upload_data;
	if (!*con_cls) {
		*con_cls = &marker;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		*upload_data_size = 0; /* the body is read and dropped */
		return MHD_YES;
	}
	struct MHD_Response *r = MHD_create_response_from_buffer(sizeof answer - 1,
								 (void *)answer,
								 MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned threads = 4;
	if (argc == 3 && strcmp(argv[1], "--threads") == 0 && atoi(argv[2]) > 0 &&
	    atoi(argv[2]) <= 64) {
		threads = (unsigned)atoi(argv[2]);
	} else if (argc != 1) {
		fprintf(stderr, "usage: trivial_http [--threads N]\n");
		return 2;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* MHD's threads inherit it: sigwait below */
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = 0;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC, 0, NULL, NULL,
		on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT, 1024u,
		MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "trivial_http: cannot start libmicrohttpd on 127.0.0.1\n");
		return 1;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("listening 127.0.0.1:%u\n", di ? (unsigned)di->port : 0u);
	fflush(stdout);
	int sig = 0;
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	return 0;
}
