/* libFuzzer target: arbitrary bytes as an office configuration (libconfig parse, then
 * every check of office/config); a file that checks OK must give a consistent config. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "office/calendar.h"
#include "office/config.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config c;
	struct buf problems;
	struct err e = ERR_INIT;
	if (size > CONFIG_MAX_FILE_SIZE)
		return 0;
	buf_init(&problems, 1 << 20);
	int rc = config_parse((const char *)data, size, "fuzz.conf", &c, &problems, &e);
	if (rc == 0) {
		if (problems.len != 0 || c.nslots == 0 || c.nslots > CONFIG_MAX_SLOTS ||
		    c.ntypes == 0 || c.nholidays > CONFIG_MAX_HOLIDAYS || !c.working_days)
			__builtin_trap();
		for (size_t i = 0; i < c.nslots; i++)
			if (c.slots[i].start_min >= c.slots[i].end_min ||
			    (i > 0 && c.slots[i].start_min < c.slots[i - 1].end_min))
				__builtin_trap();
		for (size_t i = 1; i < c.nholidays; i++)
			if (cal_date_cmp(&c.holidays[i - 1], &c.holidays[i]) >= 0)
				__builtin_trap();
	} else if (problems.len == 0 || e.msg[0] == '\0') {
		__builtin_trap(); /* a refusal always says why */
	}
	buf_release(&problems);
	return 0;
}
